"""The operator's console end to end: an operator created by the command line signs in on the
login page, sees every agency's month against its plan, saves a plan, applies it, switches
features, suspends and resumes an agency; every act is in the audit viewer and every sign-in
attempt in the login history. Agency staff never reach it, and the plan's broker limit
refuses one more broker on the users page."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.test_cli import VELLARYS, _env
from tests.web.conftest import PASSWORD, Dashboard, add_agency, csrf_of, soup
from vellarys.asgi import create_app
from vellarys.db.uow import unit_of_work
from vellarys.errors import Conflict
from vellarys.services.demo import DEMO_LOGIN, DEMO_SLUG
from vellarys.services.operators import create_operator

OPERATOR = "Operadora@Vellarys.local"
AGENT = {"user-agent": "NavegadorTeste/1.0"}


async def _cli(database_url: str, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *VELLARYS,
        *args,
        env=_env(VELLARYS_DATABASE_URL=database_url, VELLARYS_OPERATOR_PASSWORD=PASSWORD),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return int(process.returncode or 0), output.decode()


async def _client(dashboard: Dashboard) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(dashboard.container))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=AGENT)


async def _login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await http.get("/login")
    data = {"email": email, "password": password, "csrf_token": csrf_of(page)}
    return await http.post("/login", data=data)


async def test_the_operator_console(dashboard: Dashboard) -> None:
    url = dashboard.container.database_url
    code, out = await _cli(url, "operator", "create", "--email", OPERATOR, "--name", "Op")
    assert code == 0 and "operator operadora@vellarys.local created" in out
    async with unit_of_work(dashboard.container.sessions) as session:
        with pytest.raises(Conflict, match="Já existe um operador"):
            await create_operator(session, email=OPERATOR.lower(), name="", password=PASSWORD)
    _, other_admin = await add_agency(dashboard.container, "outra-console")

    staff, operator = await _client(dashboard), await _client(dashboard)
    anonymous = await _client(dashboard)
    try:
        # Agency staff: a 404, whatever the page; nobody signed in: the login page.
        assert (await _login(staff, DEMO_LOGIN[0], "senha-errada")).status_code == 401
        assert (await _login(staff, *DEMO_LOGIN)).status_code == 303
        for path in ("/console", "/console/audit", "/console/logins"):
            assert (await staff.get(path)).status_code == 404
            assert "/login" in (await anonymous.get(path)).headers["location"]
        token = csrf_of(await staff.get("/leads"))
        refused = await staff.post("/console/plans", data={"name": "X", "csrf_token": token})
        assert refused.status_code == 404

        signed = await _login(operator, OPERATOR.lower(), PASSWORD)
        assert (signed.status_code, signed.headers["location"]) == (303, "/console")
        assert (await operator.get("/leads")).status_code == 303  # no agency's pages
        page = await operator.get("/console")
        rows = soup(page).select("#agencies tbody tr")
        assert {row["id"] for row in rows} >= {f"agency-{DEMO_SLUG}", "agency-outra-console"}
        token = csrf_of(page)
        brokers = int(await dashboard.scalar(
            "SELECT count(*) FROM users WHERE tenant_id = :t AND active AND role <> 'admin'",
            t=dashboard.tenant_id,
        ))  # fmt: skip
        limits = {"name": "Básico", "max_brokers": str(brokers), "max_messages_month": "1000"}
        bad = await operator.post(
            "/console/plans", data={**limits, "max_brokers": "-1", "csrf_token": token}
        )
        assert bad.status_code == 400
        saved = await operator.post("/console/plans", data={**limits, "csrf_token": token})
        assert saved.status_code == 303
        plan_id = await dashboard.scalar("SELECT id FROM plans WHERE name = 'Básico'")
        base = f"/console/agencies/{DEMO_SLUG}"
        await operator.post(f"{base}/plan", data={"plan_id": str(plan_id), "csrf_token": token})
        await operator.post(
            f"{base}/features", data={"feature": ["llm_brain", "feeds"], "csrf_token": token}
        )
        features = await dashboard.scalar(
            "SELECT features FROM tenants WHERE id = :t", t=dashboard.tenant_id
        )
        assert features == {"llm_brain": True, "follow_ups": False, "feeds": True,
                            "voice": False, "webhooks": False}  # fmt: skip
        missing = await operator.post(
            "/console/agencies/nao-existe/plan", data={"csrf_token": token}
        )
        assert missing.status_code == 404

        # Suspended: the agency's admin cannot sign in; resumed: they can.
        other = "/console/agencies/outra-console/active"
        await operator.post(other, data={"active": "0", "csrf_token": token})
        assert (await _login(anonymous, other_admin, PASSWORD)).status_code == 401
        await operator.post(other, data={"active": "1", "csrf_token": token})
        assert (await _login(anonymous, other_admin, PASSWORD)).status_code == 303

        page = soup(await operator.get("/console"))
        assert page.select_one(f"#plan-{DEMO_SLUG} option[selected]").text == "Básico"

        # The plan's broker limit: one more broker is a clear 409 on the users page.
        token = csrf_of(await staff.get("/users"))
        invite = {"email": f"novo-{uuid.uuid4().hex[:6]}@x.local", "name": "Novo", "role": "broker"}
        full = await staff.post("/users", data={**invite, "csrf_token": token})
        assert full.status_code == 409 and f"até {brokers} corretores" in full.text
        assert (
            await dashboard.scalar("SELECT count(*) FROM users WHERE email = :e", e=invite["email"])
            == 0
        )

        # The audit viewer: the operator's acts, filterable by agency, action and user.
        audit = soup(await operator.get(
            "/console/audit", params={"agency": DEMO_SLUG, "action": "tenant.features_set"}
        ))  # fmt: skip
        [row] = audit.select("#audit tbody tr")
        assert "operador operadora@vellarys.local" in row.text
        everything = soup(await operator.get("/console/audit", params={"user": OPERATOR}))
        actions = [r.select("td")[3].text for r in everything.select("#audit tbody tr")]
        assert sorted(actions) == ["plan.saved", "tenant.features_set", "tenant.plan_set",
                                   "tenant.resumed", "tenant.suspended"]  # fmt: skip
        assert (await operator.get("/console/audit", params={"action": "x.y"})).status_code == 400
        assert (await operator.get("/console/audit", params={"since": "ontem"})).status_code == 400
        dated = soup(await operator.get("/console/audit", params={"until": "2000-01-01"}))
        assert dated.select("#audit tbody tr") == []

        # The login history: failures and successes, with IP and browser.
        logins = soup(await operator.get("/console/logins", params={"user": DEMO_LOGIN[0]}))
        cells = [[td.text for td in r.select("td")] for r in logins.select("#logins tbody tr")]
        assert [c[3] for c in cells] == ["ok", "falhou"]
        assert all(
            c[2] == DEMO_SLUG and c[4] == "127.0.0.1" and c[5] == AGENT["user-agent"] for c in cells
        )
        mine = soup(await operator.get("/console/logins", params={"agency": "outra-console"}))
        # The admin's attempt while the agency was suspended failed, and is filed under it.
        outcomes = [r.select("td")[3].text for r in mine.select("#logins tbody tr")]
        assert outcomes == ["ok", "falhou"]

        await operator.post("/logout", data={"csrf_token": csrf_of(await operator.get("/console"))})
        assert (await operator.get("/console")).status_code == 303
    finally:
        for http in (staff, operator, anonymous):
            await http.aclose()
