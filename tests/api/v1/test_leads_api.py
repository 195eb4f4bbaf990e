"""Leads over the API: list with filters and pages, one lead, stage and assignee changes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from tests.api.v1.factories import make_lead, make_user
from tests.api.v1.harness import Api
from vellarys.db.models import AuditEntry, Lead


async def _lead(api: Api, *, tenant_id: uuid.UUID | None = None, **values: Any) -> uuid.UUID:
    async with api.db() as session:
        lead = await make_lead(session, tenant_id or api.ours.tenant_id, **values)
        return lead.id


async def _names(api: Api, **params: Any) -> list[str]:
    response = await api.call("GET", "/api/v1/leads", params=params)
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


async def test_list_filters_by_column_profile_and_budget(api: Api) -> None:
    await _lead(
        api,
        name="Ana",
        stage="qualified",
        temperature="hot",
        custom_data={
            "neighborhoods": ["Moema", "Vila Mariana"],
            "intent": "buy",
            "budget_max": 800_000,
            "bedrooms": 3,
        },
    )
    await _lead(
        api,
        name="Bruno",
        custom_data={"neighborhoods": ["Lapa"], "intent": "rent", "budget_max": 3_500},
    )

    assert await _names(api) == ["Ana", "Bruno"]
    assert await _names(api, stage="qualified") == ["Ana"]
    assert await _names(api, temperature="cold") == ["Bruno"]
    assert await _names(api, neighborhood="Vila Mariana") == ["Ana"]
    assert await _names(api, intent="rent") == ["Bruno"]
    assert await _names(api, budget_min=500_000, budget_max=1_000_000) == ["Ana"]
    assert await _names(api, budget_max=5_000) == ["Bruno"]
    assert await _names(api, custom="bedrooms:3") == ["Ana"]
    assert await _names(api, text="bru") == ["Bruno"]
    assert await _names(api, assigned_user_id="unassigned") == ["Ana", "Bruno"]


async def test_list_paginates_and_reports_the_total(api: Api) -> None:
    for i in range(3):
        await _lead(api, name=f"Lead {i}")
    response = await api.call("GET", "/api/v1/leads", params={"per_page": 2, "page": 2})
    body = response.json()
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (3, 2, 2, 1)


async def test_list_refuses_bad_parameters_with_a_clear_message(api: Api) -> None:
    cases = [
        ({"per_page": 101}, 422),
        ({"page": 0}, 422),
        ({"sort": "oldest"}, 422),
        ({"stage": "sold"}, 422),
        ({"assigned_user_id": "someone"}, 422),
        ({"custom": "no-colon"}, 400),
        ({"budget_min": 10, "budget_max": 5}, 400),
        ({"created_from": "2025-02-30"}, 422),
    ]
    for params, status in cases:
        response = await api.call("GET", "/api/v1/leads", params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["error"]["message"]


async def test_list_never_shows_another_agencys_leads(api: Api) -> None:
    await _lead(api, tenant_id=api.theirs.tenant_id, name="Deles")
    await _lead(api, name="Nosso")
    assert await _names(api) == ["Nosso"]


async def test_get_returns_the_lead_and_records_the_view(api: Api) -> None:
    async with api.db() as session:
        broker = await make_user(session, api.ours.tenant_id, name="Carla")
        lead = await make_lead(
            session,
            api.ours.tenant_id,
            name="Ana",
            assigned_user_id=broker.id,
            custom_data={"intent": "buy"},
        )
    response = await api.call("GET", f"/api/v1/leads/{lead.id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["assigned_user_name"], body["custom_data"]) == (
        "Ana",
        "Carla",
        {"intent": "buy"},
    )
    viewed = await api.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'lead.viewed' AND target_id = :id",
        id=str(lead.id),
    )
    assert viewed == 1


async def test_another_agencys_lead_is_404_on_every_lead_route(api: Api) -> None:
    foreign = await _lead(api, tenant_id=api.theirs.tenant_id, name="Deles", stage="new")
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"stage": "lost"}),
        ("GET", "/messages", None),
        ("POST", "/messages", {"text": "oi"}),
        ("GET", "/export", None),
        ("POST", "/erase", None),
    ]:
        response = await api.call(method, f"/api/v1/leads/{foreign}{suffix}", json=body)
        assert response.status_code == 404, (method, suffix)
        assert response.json()["error"]["code"] == "NotFound"
    async with api.db() as session:
        lead = await session.get(Lead, foreign)
        assert lead is not None and lead.stage == "new" and lead.name == "Deles"
    for table in ("audit_log", "messages"):
        count = f"SELECT count(*) FROM {table} WHERE tenant_id IN (:a, :b)"
        assert await api.scalar(count, a=api.ours.tenant_id, b=api.theirs.tenant_id) == 0


async def test_unknown_lead_and_malformed_id_are_clear_errors(api: Api) -> None:
    assert (await api.call("GET", f"/api/v1/leads/{uuid.uuid4()}")).status_code == 404
    response = await api.call("GET", "/api/v1/leads/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "path.lead_id"


async def test_patch_changes_stage_and_assignee_and_null_unassigns(api: Api) -> None:
    async with api.db() as session:
        broker = await make_user(session, api.ours.tenant_id)
    lead = await _lead(api, name="Ana")
    path = f"/api/v1/leads/{lead}"

    change = {"stage": "qualified", "assigned_user_id": str(broker.id)}
    body = (await api.call("PATCH", path, json=change)).json()
    assert (body["stage"], body["assigned_user_id"]) == ("qualified", str(broker.id))
    body = (await api.call("PATCH", path, json={"assigned_user_id": None})).json()
    assert (body["stage"], body["assigned_user_id"]) == ("qualified", None)


async def test_patch_with_bad_input_saves_nothing(api: Api) -> None:
    async with api.db() as session:
        foreign_user = await make_user(session, api.theirs.tenant_id)
        inactive = await make_user(session, api.ours.tenant_id, active=False)
    lead = await _lead(api, name="Ana", stage="new")
    path = f"/api/v1/leads/{lead}"
    cases = [
        ({"stage": "sold"}, 422),
        ({"stage": "lost", "assigned_user_id": str(foreign_user.id)}, 400),
        ({"assigned_user_id": str(inactive.id)}, 400),
        ({"assigned_user_id": "x"}, 422),
        ({}, 400),
        ({"stage": "lost", "color": "red"}, 422),
    ]
    for body, status in cases:
        response = await api.call("PATCH", path, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]
    async with api.db() as session:
        saved = await session.get(Lead, lead)
        assert saved is not None and (saved.stage, saved.assigned_user_id) == ("new", None)


async def test_audit_entries_name_the_api_key(api: Api) -> None:
    lead = await _lead(api, name="Ana")
    await api.call("GET", f"/api/v1/leads/{lead}")
    async with api.db() as session:
        query = select(AuditEntry).where(AuditEntry.tenant_id == api.ours.tenant_id)
        entry = (await session.execute(query)).scalar_one()
    assert entry.details == {"api_key_id": str(api.ours.key_id)} and entry.user_id is None
