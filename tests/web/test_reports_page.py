"""The reports page as staff use it: admins see the figures, set a broker's monthly goals and
download the exports; managers see them too (tests/web/test_tenant_matrix.py); brokers get
403 on the page and on every export, and no menu entry."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.web.conftest import Dashboard, add_agency, soup, user_id
from vellarys.db.models import User
from vellarys.db.uow import unit_of_work
from vellarys.services.demo import DEMO_LOGIN


async def test_admins_read_the_report_set_goals_and_export_while_brokers_are_refused(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    overview = soup(await dashboard.http.get("/"))
    assert overview.select_one("#ranking-link")["href"] == "/reports?preset=month"
    page = soup(await dashboard.http.get("/reports?preset=month"))
    assert page.select_one('nav a[href="/reports"]') is not None
    titles = [h.text for h in page.select(".report-table h2")]
    assert titles[1:] == ["Leads por origem", "Leads por etapa", "Leads por corretor", "Visitas",
                          "Ranking de corretores"]  # fmt: skip
    form = page.select(".goal-form")[0]
    month = form.select_one('input[name="month"]')["value"]
    action = str(form["action"])

    saved = await dashboard.post(action, {"month": month, "visits": "7", "won": "3"},
                                 page="/reports")  # fmt: skip
    assert saved.status_code == 303
    page = soup(await dashboard.http.get(saved.headers["location"]))
    goal = page.select_one(f'form[action="{action}"]')
    assert goal.select_one('input[name="visits"]')["value"] == "7"
    ranking = page.select(".report-table")[-1]
    assert any(row.select("td")[3].text == "3" and row.select("td")[5].text == "7"
               for row in ranking.select("tbody tr"))  # fmt: skip

    await _agency_goal_on_the_overview(dashboard, month)

    refused = await dashboard.post(action, {"month": month, "visits": "-2", "won": "0"},
                                   page="/reports")  # fmt: skip
    assert refused.status_code == 400 and "entre 0" in refused.text
    assert (await dashboard.http.get("/reports?from=2026-12-09&to=2026-12-01")).status_code == 400

    excel = await dashboard.http.get("/reports.xlsx?from=2026-01-01&to=2026-12-31")
    assert excel.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="relatorio-20260101-20261231.xlsx"' in excel.headers["content-disposition"]
    assert "Ranking de corretores" in load_workbook(io.BytesIO(excel.content)).sheetnames

    broker = await dashboard.scalar("SELECT email FROM users WHERE role = 'broker' LIMIT 1")
    await dashboard.http.post("/logout", data={})
    dashboard.http.cookies.clear()
    await dashboard.login(broker, DEMO_LOGIN[1])
    for path in ("/reports", "/reports.csv", "/reports.xlsx", "/reports.pdf"):
        assert (await dashboard.http.get(path)).status_code == 403, path
    home = soup(await dashboard.http.get("/"))
    assert home.select_one('nav a[href="/reports"]') is None
    # A broker's overview: their own line of the month's ranking, no one else's, no agency goal.
    mine = await user_id(dashboard.container, broker)
    assert [row["data-broker"] for row in home.select("#month-ranking tbody tr")] == [str(mine)]
    assert home.select_one("#agency-goal") is None and home.select_one("#broker-figures") is None
    goal = {"month": "2026-12", "leads": "1", "visits": "1", "won": "1"}
    assert (await dashboard.post("/reports/agency-goal", goal)).status_code == 403


async def _agency_goal_on_the_overview(dashboard: Dashboard, month: str) -> None:
    """The admin sets the agency's goal; the overview shows its progress and every broker's
    place, and nothing of another agency."""
    other, _ = await add_agency(dashboard.container)
    async with unit_of_work(dashboard.container.sessions) as session:
        session.add(User(tenant_id=other, email="alheia@outra.local", name="Corretora Alheia",
                         role="broker", password_hash="x"))  # fmt: skip
    goal = {"month": month, "leads": "40", "visits": "10", "won": "0"}
    saved = await dashboard.post("/reports/agency-goal", goal, page="/reports")
    assert saved.status_code == 303
    page = soup(await dashboard.http.get(saved.headers["location"]))
    assert page.select_one('#agency-goal-form input[name="leads"]')["value"] == "40"
    assert page.select(".report-table h2")[-1].text == "Meta da imobiliária"
    for bad in ("-1", "10001", "muitos"):
        refused = await dashboard.post("/reports/agency-goal", {**goal, "leads": bad},
                                       page="/reports")  # fmt: skip
        assert refused.status_code == 400 and "Meta de novos leads" in refused.text, bad
    home = soup(await dashboard.http.get("/"))
    bars = {bar["data-goal"]: bar for bar in home.select("#agency-goal .hbar")}
    assert [bars[k]["data-target"] for k in ("leads", "visits", "won")] == ["40", "10", "0"]
    month_start = "date_trunc('month', now() AT TIME ZONE 'America/Sao_Paulo') AT TIME ZONE 'America/Sao_Paulo'"
    new = await dashboard.scalar(
        "SELECT count(*) FROM leads l JOIN tenants t ON t.id = l.tenant_id WHERE t.slug = 'demo'"
        f" AND l.erased_at IS NULL AND l.created_at >= {month_start}"
    )
    assert bars["leads"].strong.text.startswith(f"{new} / 40")
    rows = home.select("#month-ranking tbody tr")
    staff = await dashboard.scalar("SELECT count(*) FROM users u JOIN tenants t ON t.id = u.tenant_id "
                                   "WHERE t.slug = 'demo' AND u.active AND u.role IN ('broker', 'manager')")  # fmt: skip
    assert len(rows) == staff >= 2
    assert [r.select_one('[data-col="place"]').text for r in rows][:2] == ["1º", "2º"]
    assert any(r.select_one('[data-col="won"]').text.endswith("/ 3") for r in rows)
    assert "Corretora Alheia" not in home.text
