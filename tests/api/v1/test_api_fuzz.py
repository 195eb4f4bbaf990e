"""Schemathesis fuzzes every /api/v1 operation of the app's own OpenAPI document, over real
HTTP to a uvicorn on 127.0.0.1 that this module starts and stops, once with each of two
agencies' keys. Every response must be no server error, match its documented schema and
content type, and never carry an id, phone or code of the other agency."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.api.v1.factories import make_handoff, make_lead, make_message, make_tenant
from tests.conftest import make_settings
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.db.uow import unit_of_work
from vellarys.services.api_keys import create_api_key

EXAMPLES = int(os.environ.get("VELLARYS_API_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass
class Seeded:
    """One agency: its key and the markers of its data that must never leak to the other."""

    key: str
    markers: set[str] = field(default_factory=set)


@dataclass
class Server:
    url: str
    agencies: dict[str, Seeded]
    calls: dict[str, int] = field(default_factory=dict)


async def _seed(database_url: str, tmp: Path) -> dict[str, Seeded]:
    container = build(make_settings(database_url, tmp))
    agencies: dict[str, Seeded] = {}
    try:
        for name in ("first", "second"):
            async with unit_of_work(container.sessions) as session:
                tenant = await make_tenant(session)
                _key, plaintext = await create_api_key(session, tenant_id=tenant.id, name=name)
                lead = await make_lead(session, tenant.id, name=f"Lead {name}")
                message = await make_message(session, lead, f"quero comprar ({name})")
                handoff = await make_handoff(session, lead)
                markers = {str(tenant.id), str(lead.id), str(message.id), str(handoff.id)}
                agencies[name] = Seeded(plaintext, markers | {lead.phone})
    finally:
        await container.aclose()
    return agencies


def _add_listing(url: str, agency: Seeded, code: str) -> None:
    body = {
        "code": code,
        "title": "Apartamento 3 quartos no Batel",
        "property_type": "apartment",
        "transaction": "sale",
        "price": 850000,
        "bedrooms": 3,
        "neighborhood": "Batel",
        "city": "Curitiba",
    }
    headers = {"Authorization": f"Bearer {agency.key}"}
    response = httpx.post(f"{url}/api/v1/properties", json=body, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    agency.markers |= {response.json()["id"], code}


@pytest.fixture(scope="module")
def fuzz_server(api_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("api-fuzz")
    agencies = asyncio.run(_seed(api_database, tmp))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(build(make_settings(api_database, tmp)))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_up(url, thread)
        for name, agency in agencies.items():
            _add_listing(url, agency, f"FZ{name[:1].upper()}{uuid.uuid4().hex[:6]}")
        yield Server(url, agencies)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _wait_until_up(url: str, thread: threading.Thread) -> None:
    for _ in range(600):
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped while starting")
        try:
            httpx.get(f"{url}/health", timeout=1)
            return
        except httpx.TransportError:
            threading.Event().wait(0.05)
    raise RuntimeError(f"uvicorn did not answer on {url}")


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def _call_as(server: Server, who: str, case: Any) -> None:
    me = server.agencies[who]
    other = next(a for name, a in server.agencies.items() if name != who)
    response = case.call(base_url=server.url, headers={"Authorization": f"Bearer {me.key}"})
    server.calls[who] = server.calls.get(who, 0) + 1
    case.validate_response(response, checks=CHECKS)
    leaked = sorted(marker for marker in other.markers if marker in response.text)
    assert not leaked, f"{case.method} {case.formatted_path} returned the other agency's {leaked}"


def _fuzz(server: Server, who: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [op.ok() for op in schema.include(path_regex=r"^/api/v1/").get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            _call_as(server, who, case)

        run()
    print(f"api fuzz as {who}: {len(operations)} operations, {server.calls[who]} requests")


def test_api_fuzz_with_the_first_agencys_key(fuzz_server: Server) -> None:
    _fuzz(fuzz_server, "first")


def test_api_fuzz_with_the_second_agencys_key(fuzz_server: Server) -> None:
    _fuzz(fuzz_server, "second")
