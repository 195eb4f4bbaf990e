"""The reports page as staff use it: admins see the figures, set a broker's monthly goals and
download the exports; managers see them too (tests/web/test_tenant_matrix.py); brokers get
403 on the page and on every export, and no menu entry."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.web.conftest import Dashboard, soup
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
    assert soup(await dashboard.http.get("/")).select_one('nav a[href="/reports"]') is None
