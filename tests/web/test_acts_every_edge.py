"""Each act through every edge that exposes it (dashboard form, REST route, command line):
the same outcome and the same audit entry, whoever calls.

One app serves the dashboard and the API on one database with the demo agency; the admin
signs in on the dashboard and an API key of the same agency calls the API.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.web.conftest import Dashboard, add_lead, csrf_of, user_id
from vellarys.db.uow import unit_of_work
from vellarys.services.api_keys import create_api_key

BROKER = "marcos.toledo@demo.local"


@dataclass
class Edges:
    dashboard: Dashboard
    key: str
    database_url: str
    data_dir: Path

    async def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        return await self.dashboard.http.request(method, path, headers=headers, **kwargs)

    async def form(self, path: str, data: dict[str, Any], page: str = "/") -> httpx.Response:
        # The token is the session's; reading it from a lead's page would audit a view.
        token = csrf_of(await self.dashboard.http.get("/" if page.startswith("/leads/") else page))
        return await self.dashboard.http.post(path, data={**data, "csrf_token": token})

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
        env |= {"VELLARYS_DATABASE_URL": self.database_url, "VELLARYS_SECRET_KEY": "test-secret"}
        command = [sys.executable, "-m", "vellarys", *args, "--data-dir", str(self.data_dir)]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with unit_of_work(self.dashboard.container.sessions) as session:
            found = await session.execute(text(sql), params)
            return [dict(row._mapping) for row in found]

    async def audit(self, target_id: object) -> list[tuple[str, str, dict[str, Any]]]:
        """(action, target type, details without who acted) of the entries about a target,
        sorted (entries of one transaction share their time)."""
        entries = await self.rows(
            "SELECT action, target_type, details FROM audit_log WHERE target_id = :t"
            " ORDER BY created_at, action",
            t=str(target_id),
        )
        trail = [(e["action"], e["target_type"], _without_actor(e["details"])) for e in entries]
        return sorted(trail, key=lambda entry: entry[0])


def _without_actor(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k not in ("api_key_id", "message_id")}


@pytest.fixture
async def edges(dashboard: Dashboard, tmp_path: Path) -> AsyncIterator[Edges]:
    async with unit_of_work(dashboard.container.sessions) as session:
        _, key = await create_api_key(session, tenant_id=dashboard.tenant_id, name="crm")
    await dashboard.login()
    url = dashboard.container.settings.database_url
    assert url is not None
    yield Edges(dashboard, key, url, tmp_path / "cli")


async def _channel(edges: Edges) -> uuid.UUID:
    found = await edges.rows(
        "SELECT id FROM channels WHERE tenant_id = :t", t=edges.dashboard.tenant_id
    )
    return uuid.UUID(str(found[0]["id"]))


async def _lead(edges: Edges, **values: Any) -> uuid.UUID:
    return await add_lead(edges.dashboard.container, edges.dashboard.tenant_id, **values)


Edge = Callable[[Edges, uuid.UUID], Awaitable[Any]]


async def _both(edges: Edges, by_form: Edge, by_api: Edge, **lead: Any) -> list[uuid.UUID]:
    """Run the act once through the dashboard and once through the API, each on a new lead."""
    done = []
    for edge in (by_form, by_api):
        lead_id = await _lead(edges, **lead)
        await edge(edges, lead_id)
        done.append(lead_id)
    return done


async def test_sending_a_broker_message_is_one_act_on_both_edges(edges: Edges) -> None:
    channel = await _channel(edges)

    async def by_form(e: Edges, lead: uuid.UUID) -> None:
        await e.form(f"/leads/{lead}/reply", {"text": " Olá, aqui é o Marcos "}, f"/leads/{lead}")

    async def by_api(e: Edges, lead: uuid.UUID) -> None:
        sent = await e.api(
            "POST", f"/api/v1/leads/{lead}/messages", json={"text": "Olá, aqui é o Marcos"}
        )
        assert sent.status_code == 202, sent.text

    outcomes, trails = [], []
    for lead in await _both(edges, by_form, by_api, channel_id=channel):
        messages = await edges.rows(
            "SELECT role, content, status FROM messages WHERE lead_id = :l", l=lead
        )
        paused = await edges.rows("SELECT ai_paused FROM leads WHERE id = :l", l=lead)
        outcomes.append((messages, paused))
        trails.append(await edges.audit(lead))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == [
        {"role": "broker", "content": "Olá, aqui é o Marcos", "status": "pending"}
    ]
    assert outcomes[0][1] == [{"ai_paused": True}]
    assert trails[0] == trails[1]
    assert [action for action, _, _ in trails[0]] == ["lead.message_sent", "lead.taken_over"]


async def test_a_message_the_lead_cannot_receive_is_refused_alike_and_nothing_is_stored(
    edges: Edges,
) -> None:
    no_channel = await _lead(edges)
    page = await edges.form(f"/leads/{no_channel}/reply", {"text": "Oi"}, f"/leads/{no_channel}")
    assert page.headers["location"] == f"/leads/{no_channel}"
    flashed = (await edges.dashboard.http.get("/")).text  # the refusal is flashed
    api = await edges.api("POST", f"/api/v1/leads/{no_channel}/messages", json={"text": "Oi"})
    assert api.status_code == 409
    assert api.json()["error"]["message"] in flashed
    assert await edges.rows("SELECT id FROM messages WHERE lead_id = :l", l=no_channel) == []
    assert await edges.audit(no_channel) == []


async def test_changing_a_stage_is_one_act_on_both_edges(edges: Edges) -> None:
    async def by_form(e: Edges, lead: uuid.UUID) -> None:
        await e.form(f"/leads/{lead}/stage", {"stage": "won"}, f"/leads/{lead}")

    async def by_api(e: Edges, lead: uuid.UUID) -> None:
        assert (
            await e.api("PATCH", f"/api/v1/leads/{lead}", json={"stage": "won"})
        ).status_code == 200

    leads = await _both(edges, by_form, by_api, stage="qualified")
    stages = [await edges.rows("SELECT stage FROM leads WHERE id = :l", l=lead) for lead in leads]
    trails = [await edges.audit(lead) for lead in leads]
    assert stages[0] == stages[1] == [{"stage": "won"}]
    assert (
        trails[0]
        == trails[1]
        == [("lead.stage_changed", "lead", {"from": "qualified", "to": "won"})]
    )


async def test_assigning_is_one_act_on_both_edges(edges: Edges) -> None:
    broker = await user_id(edges.dashboard.container, BROKER)

    async def by_form(e: Edges, lead: uuid.UUID) -> None:
        await e.form(f"/leads/{lead}/assign", {"user_id": str(broker)}, f"/leads/{lead}")

    async def by_api(e: Edges, lead: uuid.UUID) -> None:
        body = {"assigned_user_id": str(broker)}
        assert (await e.api("PATCH", f"/api/v1/leads/{lead}", json=body)).status_code == 200

    leads = await _both(edges, by_form, by_api)
    sql = "SELECT assigned_user_id FROM leads WHERE id = :l"
    owners = [await edges.rows(sql, l=lead) for lead in leads]
    trails = [await edges.audit(lead) for lead in leads]
    assert owners[0] == owners[1] == [{"assigned_user_id": broker}]
    assert trails[0] == trails[1] == [("lead.assigned", "lead", {"user_id": str(broker)})]


async def test_taking_over_and_giving_back_are_one_act_on_both_edges(edges: Edges) -> None:
    async def by_form(e: Edges, lead: uuid.UUID) -> None:
        await e.form(f"/leads/{lead}/take-over", {}, f"/leads/{lead}")
        await e.form(f"/leads/{lead}/give-back", {}, f"/leads/{lead}")

    async def by_api(e: Edges, lead: uuid.UUID) -> None:
        assert (await e.api("POST", f"/api/v1/leads/{lead}/take-over")).status_code == 200
        assert (await e.api("POST", f"/api/v1/leads/{lead}/give-back")).status_code == 200

    leads = await _both(edges, by_form, by_api, stage="handed_off", ai_paused=False)
    states = [
        await edges.rows("SELECT ai_paused, stage FROM leads WHERE id = :l", l=lead)
        for lead in leads
    ]
    trails = [await edges.audit(lead) for lead in leads]
    assert states[0] == states[1] == [{"ai_paused": False, "stage": "qualified"}]
    assert trails[0] == trails[1]
    assert [action for action, _, _ in trails[0]] == ["lead.given_back", "lead.taken_over"]


async def test_viewing_a_lead_is_audited_alike_on_both_edges(edges: Edges) -> None:
    async def by_form(e: Edges, lead: uuid.UUID) -> None:
        assert (await e.dashboard.http.get(f"/leads/{lead}")).status_code == 200

    async def by_api(e: Edges, lead: uuid.UUID) -> None:
        assert (await e.api("GET", f"/api/v1/leads/{lead}")).status_code == 200

    leads = await _both(edges, by_form, by_api)
    assert (
        await edges.audit(leads[0]) == await edges.audit(leads[1]) == [("lead.viewed", "lead", {})]
    )


async def test_uploading_a_document_is_one_act_on_both_edges(edges: Edges) -> None:
    await edges.form("/knowledge", {"title": "Pets", "content": "Aceitamos pets."}, "/knowledge")
    response = await edges.api(
        "POST", "/api/v1/knowledge", json={"title": "Pets", "content": "Aceitamos pets."}
    )
    assert response.status_code == 201
    documents = await edges.rows(
        "SELECT id, title, source_type, status, content FROM knowledge_documents"
        " WHERE title = 'Pets' ORDER BY created_at"
    )
    assert len(documents) == 2
    assert [{k: v for k, v in d.items() if k != "id"} for d in documents] == [
        {"title": "Pets", "source_type": "text", "status": "pending", "content": "Aceitamos pets."}
    ] * 2
    trails = [await edges.audit(d["id"]) for d in documents]
    assert trails[0] == trails[1] == [("document.uploaded", "document", {})]
    jobs = await edges.rows(
        "SELECT args->>'document_id' AS id FROM procrastinate_jobs"
        " WHERE task_name = 'vellarys:index_document'"
    )
    assert {str(d["id"]) for d in documents} <= {j["id"] for j in jobs}


async def test_creating_a_user_is_one_act_on_the_dashboard_and_the_command_line(
    edges: Edges,
) -> None:
    await edges.form(
        "/users", {"email": "Nova@Demo.local", "name": "Nova", "role": "broker"}, "/users"
    )
    made = edges.cli(
        "user",
        "create",
        "--tenant",
        "demo",
        "--email",
        "Outra@Demo.local",
        "--password",
        "senha-forte-123",
        "--role",
        "broker",
        "--name",
        "Outra",
    )
    assert made.returncode == 0, made.stderr
    users = await edges.rows(
        "SELECT id, email, role, active FROM users WHERE email IN"
        " ('nova@demo.local', 'outra@demo.local') ORDER BY email"
    )
    assert [(u["email"], u["role"], u["active"]) for u in users] == [
        ("nova@demo.local", "broker", True),
        ("outra@demo.local", "broker", True),
    ]
    trails = [await edges.audit(u["id"]) for u in users]
    assert trails[0] == trails[1] == [("user.created", "user", {"role": "broker"})]

    taken = edges.cli(
        "user",
        "create",
        "--tenant",
        "demo",
        "--email",
        "nova@demo.local",
        "--password",
        "senha-forte-123",
    )
    page = await edges.form(
        "/users", {"email": "outra@demo.local", "name": "X", "role": "broker"}, "/users"
    )
    assert taken.returncode != 0 and page.status_code == 409
    assert "Já existe um usuário com esse e-mail." in taken.stderr + taken.stdout
    assert "Já existe um usuário com esse e-mail." in page.text
