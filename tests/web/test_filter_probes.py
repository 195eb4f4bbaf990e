"""Every hostile filter on /leads, /leads/export.csv and /api/v1/leads is a 4xx with a message
or correct results, never a 500 (41 of 728 probes once failed: LIKE wildcards, NUL, huge
numbers, far dates). One dashboard session and one API key go through the whole list."""

from __future__ import annotations

import uuid

import pytest

from tests.web.conftest import Dashboard, add_agency, add_lead
from vellarys.db.uow import unit_of_work
from vellarys.services.api_keys import create_api_key

LONG = "x" * 5000
HUGE = "9" * 30
# (dashboard query, API query): the same probe in each edge's parameter names.
PROBES: list[tuple[dict[str, str], dict[str, str]]] = [
    ({"q": value}, {"text": value})
    for value in (
        "%",
        "_",
        "\\",
        "%_%",
        "50%",
        "a_b",
        "a\x00b",
        "\x00",
        LONG,
        "' OR 1=1 --",
        "\u202e",
    )
]
PROBES += [
    ({key: value}, {key: value})
    for key in ("neighborhood", "city", "property_type")
    for value in ("%", "a\x00b", LONG)
]
PROBES += [
    ({"created_from": day}, {"created_from": day})
    for day in ("9999-12-31", "0001-01-01", "2026-13-45", "99999-01-01", "1-1-1", "\x00")
]
PROBES += [
    ({"created_to": day}, {"created_to": day}) for day in ("9999-12-31", "0001-01-01", "2026-02-30")
]
PROBES += [
    ({key: value}, {key: value})
    for key in ("budget_min", "budget_max")
    for value in (HUGE, "-1", "1e9", "\x00", "12.5")
]
PROBES += [
    ({"page": value}, {"page": value}) for value in (HUGE, "0", "-1", "abc", "10001", "\x00")
]
PROBES += [
    ({"sort": "x\x00"}, {"sort": "x\x00"}),
    ({"stage": "\x00"}, {"stage": "\x00"}),
    ({"temperature": LONG}, {"temperature": LONG}),
    ({"assigned": "not-a-uuid"}, {"assigned_user_id": "not-a-uuid"}),
    ({"channel": "\x00"}, {"channel_id": "\x00"}),
]
PROBES += [
    ({"field": key, "value": value}, {"custom": f"{key}:{value}"})
    for key, value in (
        ("a\x00", "b"),
        ("bedrooms", "\x00"),
        (LONG, "1"),
        ("bedrooms", LONG),
        ("bedrooms", HUGE),
        ("bedrooms", "-" + HUGE),
        ("payment", "%"),
        ('"', "'"),
    )
]


@pytest.fixture
async def api_key(dashboard: Dashboard) -> str:
    async with unit_of_work(dashboard.container.sessions) as session:
        _, plaintext = await create_api_key(session, tenant_id=dashboard.tenant_id, name="probe")
    return plaintext


async def test_no_hostile_filter_is_a_500_on_the_list_the_export_or_the_api(
    dashboard: Dashboard, api_key: str
) -> None:
    await add_lead(dashboard.container, dashboard.tenant_id, name="Ana 50% _x_", stage="new")
    await dashboard.login()
    api = {"authorization": f"Bearer {api_key}"}
    failures = []
    for web_query, api_query in PROBES:
        for path, query, headers in (
            ("/leads", web_query, {}),
            ("/leads/export.csv", web_query, {}),
            ("/api/v1/leads", api_query, api),
        ):
            response = await dashboard.http.get(path, params=query, headers=headers)
            if response.status_code >= 500 or response.status_code in (401, 403, 404):
                failures.append((path, {k: v[:20] for k, v in query.items()}, response.status_code))
            elif response.status_code >= 400 and path.startswith("/api/"):
                assert response.json()["error"]["message"]
    assert failures == []
    assert len(PROBES) * 3 >= 170


@pytest.mark.parametrize("query", ["%", "_", "\\", "50%"])
async def test_like_wildcards_in_the_search_are_taken_literally(
    dashboard: Dashboard, api_key: str, query: str
) -> None:
    await add_lead(dashboard.container, dashboard.tenant_id, name=f"Cliente {uuid.uuid4().hex}")
    wanted = await add_lead(dashboard.container, dashboard.tenant_id, name="Promo 50% _off_ \\o/")
    api = {"authorization": f"Bearer {api_key}"}
    found = await dashboard.http.get("/api/v1/leads", params={"text": query}, headers=api)
    assert found.status_code == 200
    assert [item["id"] for item in found.json()["items"]] == [str(wanted)]


async def test_inviting_an_email_of_another_agency_is_a_409_that_names_no_agency(
    dashboard: Dashboard,
) -> None:
    _, foreign_email = await add_agency(dashboard.container, slug="rival")
    await dashboard.login()
    response = await dashboard.post(
        "/users",
        {"email": foreign_email.upper(), "name": "Espiã", "role": "broker"},
        page="/users",
    )
    assert response.status_code == 409
    assert "Já existe um usuário com esse e-mail" in response.text
    assert "Outra Imobiliária" not in response.text and "rival" not in response.text
    users = await dashboard.scalar(
        "SELECT count(*) FROM users WHERE tenant_id = :t", t=dashboard.tenant_id
    )
    assert users == 3  # the demo admin and two brokers, nobody added


async def test_a_hostile_email_in_an_invitation_is_a_400_and_a_nul_is_dropped(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    for email in ("a@" + "." * 20_000 + "@", "x" * 400 + "@b.com", "a b@c.com"):
        response = await dashboard.post(
            "/users", {"email": email, "name": "X", "role": "broker"}, page="/users"
        )
        assert response.status_code == 400
    response = await dashboard.post(
        "/users", {"email": "nu\x00l@b.com", "name": "N\x00", "role": "broker"}, page="/users"
    )
    assert response.status_code < 400
    stored = await dashboard.scalar("SELECT name FROM users WHERE email = 'nul@b.com'")
    assert stored == "N"
