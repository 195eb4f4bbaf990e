"""A production dashboard: the published demo login never opens it, and a browser on plain HTTP
behind an HTTPS deployment is told why its forms fail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, add_agency, csrf_of, soup
from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build
from vellarys.db.uow import unit_of_work
from vellarys.services.demo import DEMO_LOGIN, seed_demo

SECRET = "a-production-secret-of-at-least-32-bytes!"


async def _client(container: Container, base_url: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def production(fresh_database: Callable[[], str], tmp_path: Path) -> AsyncIterator[Container]:
    """A production deployment whose database still holds the demo agency (first run in dev)."""
    settings = make_settings(
        fresh_database(),
        tmp_path,
        environment="production",
        secret_key=SECRET,
        public_url="https://vellarys.example.com",
    )
    container = build(settings)
    async with unit_of_work(container.sessions) as session:
        await seed_demo(session)
    yield container
    await container.aclose()


async def _login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await http.get("/login")
    return await http.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page)}
    )


async def test_the_demo_login_is_refused_in_production_and_a_real_admin_signs_in(
    production: Container,
) -> None:
    _, email = await add_agency(production, "casa-real")
    async with await _client(production, "https://vellarys.example.com") as http:
        refused = await _login(http, *DEMO_LOGIN)
        assert refused.status_code == 401
        assert "incorretos" in refused.text
        signed_in = await _login(http, email, PASSWORD)
        assert signed_in.status_code == 303


async def test_the_demo_login_works_in_development(
    fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    container = build(make_settings(fresh_database(), tmp_path))
    async with unit_of_work(container.sessions) as session:
        await seed_demo(session)
    async with await _client(container, "http://testserver") as http:
        assert (await _login(http, *DEMO_LOGIN)).status_code == 303
    await container.aclose()


async def test_plain_http_behind_an_https_public_url_explains_itself(
    production: Container,
) -> None:
    _, email = await add_agency(production, "casa-http")
    async with await _client(production, "http://vellarys.example.com") as http:
        page = await http.get("/login")
        assert "só funciona por HTTPS" in soup(page).get_text()
        # The HTTPS-only cookie is not sent back over HTTP: the form cannot be checked.
        response = await http.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page)}
        )
    assert response.status_code == 403
    text = soup(response).get_text()
    assert "https://vellarys.example.com/login" in text
    assert "Sessão expirada" not in text
