"""The console's agency set-up form (agency, admin, first channel and plan in one act; a bad
field leaves nothing written) and support access (an agency's admin opens its leads to the
operators for a limited time; without it, or once revoked or expired, a 404)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.web.conftest import PASSWORD, Dashboard, add_agency, add_lead, csrf_of, soup
from tests.web.test_console import _client, _login
from vellarys.db.queries.mail import queue_once
from vellarys.db.uow import unit_of_work
from vellarys.services.demo import DEMO_LOGIN, DEMO_SLUG
from vellarys.services.operators import create_operator
from vellarys.services.plans import OPERATOR_ALERT
from vellarys.services.tenant_usage import month_bounds

OPERATOR = "suporte@vellarys.local"


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at


async def _operator(dashboard: Dashboard) -> httpx.AsyncClient:
    async with unit_of_work(dashboard.container.sessions) as session:
        await create_operator(session, email=OPERATOR, name="Suporte", password=PASSWORD)
    http = await _client(dashboard)
    assert (await _login(http, OPERATOR, PASSWORD)).status_code == 303
    return http


async def _count(dashboard: Dashboard, sql: str, **values: object) -> int:
    return int(await dashboard.scalar(sql, **values))


async def test_an_agency_created_in_one_form(dashboard: Dashboard) -> None:
    operator = await _operator(dashboard)
    try:
        page = await operator.get("/console")
        fieldsets = soup(page).select("#new-agency fieldset[data-provider]")
        assert {f["data-provider"] for f in fieldsets} == {"meta", "zapi", "evolution"}
        token = csrf_of(page)
        await operator.post("/console/plans", data={"name": "Inicial", "csrf_token": token})
        plan_id = str(await dashboard.scalar("SELECT id FROM plans WHERE name = 'Inicial'"))
        form = {"name": "Nova Casa Imóveis", "slug": "nova-casa", "admin_name": "Ana Nova",
                "admin_email": "Ana@NovaCasa.local", "plan_id": plan_id, "provider": "zapi",
                "identity": "5511955554444", "zapi.token": "tok-123", "csrf_token": token}  # fmt: skip
        tables = ("tenants WHERE slug = 'nova-casa'", "users WHERE email = 'ana@novacasa.local'",
                  "channels WHERE identity = '5511955554444'")  # fmt: skip
        # Each bad field: a clear 400, and neither the agency, its admin nor its channel exists.
        for bad in ({"slug": "Nova Casa"}, {"admin_email": "ana"}, {"plan_id": "x"},
                    {"zapi.token": ""}, {"provider": "telegram"}, {"name": ""}):  # fmt: skip
            refused = await operator.post("/console/agencies", data={**form, **bad})
            assert refused.status_code == 400, (bad, refused.status_code)
            for table in tables:
                assert await _count(dashboard, f"SELECT count(*) FROM {table}") == 0, bad
        taken = await operator.post("/console/agencies", data={**form, "slug": DEMO_SLUG})
        assert taken.status_code == 409

        created = await operator.post("/console/agencies", data=form)
        assert created.status_code == 201
        password = soup(created).select_one("#temporary-password").text
        row = await dashboard.scalar(
            "SELECT t.plan_id::text || ' ' || u.role || ' ' || c.provider FROM tenants t "
            "JOIN users u ON u.tenant_id = t.id JOIN channels c ON c.tenant_id = t.id "
            "WHERE t.slug = 'nova-casa'"
        )
        assert row == f"{plan_id} admin zapi"
        sealed = await dashboard.scalar("SELECT credentials->>'token' FROM channels "
                                        "WHERE identity = '5511955554444'")  # fmt: skip
        assert sealed and "tok-123" not in sealed
        assert await _count(dashboard, "SELECT count(*) FROM audit_log WHERE action = "
                            "'tenant.created' AND operator_id IS NOT NULL") == 1  # fmt: skip
        # The new admin signs in with the password shown once; no channel is also fine.
        admin = await _client(dashboard)
        assert (await _login(admin, "ana@novacasa.local", password)).status_code == 303
        await admin.aclose()
        bare = {**form, "slug": "sem-canal", "admin_email": "b@semcanal.local", "provider": ""}
        assert (await operator.post("/console/agencies", data=bare)).status_code == 201

        # An agency past its lead limit this month (the pipeline queued the operators' e-mail,
        # tests/pipeline/test_plan_limits.py): the agency list says so at the top.
        assert soup(await operator.get("/console")).select_one("#lead-limit-alerts") is None
        month = month_bounds(dashboard.container.clock.now())[0].date()
        async with unit_of_work(dashboard.container.sessions) as session:
            await queue_once(session, dashboard.tenant_id, kind=OPERATOR_ALERT, day=month,
                             recipient=OPERATOR, subject="Limite", body="Passou.")  # fmt: skip
        alerts = soup(await operator.get("/console"))
        assert alerts.select_one("#lead-limit-alerts a")["href"] == f"#agency-{DEMO_SLUG}"
        assert alerts.select_one(f"#agency-{DEMO_SLUG}")["data-lead-alert"] == "1"
    finally:
        await operator.aclose()


async def test_support_access_is_granted_read_audited_and_revoked(dashboard: Dashboard) -> None:
    clock = Clock()
    dashboard.container.clock = clock
    lead = await add_lead(dashboard.container, dashboard.tenant_id, name="Lead do Suporte")
    other_id, _ = await add_agency(dashboard.container, "outra-suporte")
    other_lead = await add_lead(dashboard.container, other_id, name="Lead Alheio")
    operator = await _operator(dashboard)
    admin = dashboard.http
    leads, one = f"/console/agencies/{DEMO_SLUG}/leads", f"/console/support/leads/{lead}"
    try:
        assert (await admin.get("/settings")).status_code in (302, 303)  # not signed in yet
        await dashboard.login(*DEMO_LOGIN)
        # Without a grant: 404 for the list and the lead.
        assert (await operator.get(leads)).status_code == 404
        assert (await operator.get(one)).status_code == 404
        token = csrf_of(await admin.get("/settings"))
        bad = await admin.post("/settings/support", data={"hours": "1000", "csrf_token": token})
        assert bad.status_code == 400
        await admin.post("/settings/support", data={"hours": "24", "csrf_token": token})
        assert soup(await admin.get("/settings")).select_one("#support strong") is not None

        listed = await operator.get(leads)
        assert listed.status_code == 200 and "Lead do Suporte" in listed.text
        assert "Lead Alheio" not in listed.text
        shown = await operator.get(one)
        assert shown.status_code == 200 and "Lead do Suporte" in shown.text
        assert soup(shown).select("form") == soup(shown).select("header form")  # only logout
        assert soup(await operator.get("/console")).select_one(f"#support-{DEMO_SLUG}")
        # Another agency, which granted nothing, stays invisible.
        assert (await operator.get(f"/console/support/leads/{other_lead}")).status_code == 404
        assert (await operator.get("/console/agencies/outra-suporte/leads")).status_code == 404
        views = await _count(dashboard, "SELECT count(*) FROM audit_log WHERE action = "
                             "'support.viewed' AND operator_id IS NOT NULL AND target_id = :l",
                             l=str(lead))  # fmt: skip
        assert views == 1
        assert await _count(dashboard, "SELECT count(*) FROM audit_log WHERE action = "
                            "'support.viewed'") == 2  # fmt: skip

        # Revoked: 404 again.
        token = csrf_of(await admin.get("/settings"))
        await admin.post("/settings/support/revoke", data={"csrf_token": token})
        assert (await operator.get(one)).status_code == 404
        assert (await operator.get(leads)).status_code == 404

        # Granted again, then expired (the clock moves past the 24 hours): 404.
        await admin.post("/settings/support", data={"hours": "24", "csrf_token": token})
        assert (await operator.get(one)).status_code == 200
        clock.at += timedelta(hours=25)
        late = await _client(dashboard)  # the operator's 12-hour session has ended too
        assert (await _login(late, OPERATOR, PASSWORD)).status_code == 303
        assert (await late.get(one)).status_code == 404
        assert (await late.get(leads)).status_code == 404
        await late.aclose()
        actions = await _count(dashboard, "SELECT count(*) FROM audit_log WHERE action IN "
                               "('support.granted', 'support.revoked') AND user_id IS NOT NULL")  # fmt: skip
        assert actions == 3
    finally:
        await operator.aclose()
