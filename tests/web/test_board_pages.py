"""The sales board on the dashboard: lead editing, creation and import, the board's moves,
broker profiles (page and command line), the manager role and the overview's figures."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests.web.conftest import PASSWORD, Dashboard, add_lead, soup, user_id
from vellarys.cli import app
from vellarys.db.models import User
from vellarys.db.uow import unit_of_work
from vellarys.db.url import libpq_url
from vellarys.domain.password import hash_password
from vellarys.services import opportunities

MANAGER = "gerente@demo.local"


async def _add_manager(dashboard: Dashboard) -> uuid.UUID:
    async with unit_of_work(dashboard.container.sessions) as session:
        user = User(tenant_id=dashboard.tenant_id, email=MANAGER, name="Gerente Gil",
                    role="manager", password_hash=hash_password(PASSWORD))  # fmt: skip
        session.add(user)
        await session.flush()
        return user.id


async def test_a_bad_profile_value_is_a_422_and_nothing_is_written(dashboard: Dashboard) -> None:
    await dashboard.login()
    lead = await add_lead(dashboard.container, dashboard.tenant_id, name="Ana",
                          custom_data={"city": "São Paulo"})  # fmt: skip
    page = f"/leads/{lead}"
    bad = {"name": "Ana Souza", "email": "não-é-email", "bedrooms": "2", "tags": "vip"}
    refused = await dashboard.post(f"/leads/{lead}/edit", bad, page=page)
    assert refused.status_code == 422
    assert "E-mail: valor inválido" in soup(refused).select_one("#edit-lead .alert").get_text()
    row = "SELECT name || '|' || tags::text || '|' || custom_data::text FROM leads WHERE id = :i"
    assert await dashboard.scalar(row, i=lead) == 'Ana|[]|{"city": "São Paulo"}'
    edited = "SELECT count(*) FROM audit_log WHERE action = 'lead.edited' AND target_id = :i"
    assert await dashboard.scalar(edited, i=str(lead)) == 0

    good = {**bad, "email": "ana@exemplo.com", "city": "São Paulo"}
    saved = await dashboard.post(f"/leads/{lead}/edit", good, page=page)
    assert saved.status_code == 303
    shown = soup(await dashboard.http.get(page))
    assert shown.select_one("h1").get_text().startswith("Ana Souza")
    assert [t.get_text() for t in shown.select(".badge.tag")] == ["vip"]
    assert "E-mail" in shown.select_one("#timeline").get_text()


async def test_new_lead_and_csv_import_report_on_the_leads_page(dashboard: Dashboard) -> None:
    await dashboard.login()
    created = await dashboard.post("/leads", {"phone": "11 95555-4444", "name": "Rita",
                                              "source": "plantão"}, page="/leads")  # fmt: skip
    assert created.status_code == 303
    twice = await dashboard.post("/leads", {"phone": "11955554444"}, page="/leads")
    assert twice.status_code == 409 and "Já existe" in twice.text

    bad = "telefone;nome;quartos\n11944443333;Bia;2\nabc;Caio;x\n"
    token = (await dashboard.http.get("/leads")).text
    files = {"file": ("leads.csv", bad.encode(), "text/csv")}
    report = await dashboard.post("/leads/import", files=files, page="/leads")
    assert report.status_code == 422 and token
    lines = soup(report).select("#lead-import-report li")
    assert [li["data-line"] for li in lines] == ["3"]
    assert "Quartos" in lines[0].get_text() and "WhatsApp" in lines[0].get_text()
    count = "SELECT count(*) FROM leads WHERE tenant_id = :t AND phone = '+5511944443333'"
    assert await dashboard.scalar(count, t=dashboard.tenant_id) == 0

    fine = {"file": ("leads.csv", b"telefone,nome\n11944443333,Bia\n", "text/csv")}
    done = await dashboard.post("/leads/import", files=fine, page="/leads")
    assert done.status_code == 303
    assert await dashboard.scalar(count, t=dashboard.tenant_id) == 1


async def test_the_board_moves_a_card_and_lost_needs_a_reason(dashboard: Dashboard) -> None:
    await dashboard.login()
    lead = await add_lead(dashboard.container, dashboard.tenant_id, name="Duda")
    board = soup(await dashboard.http.get("/board"))
    columns = [ul["data-stage"] for ul in board.select(".board-cards")]
    assert columns == ["new", "qualifying", "qualified", "handed_off", "lost", "won"]
    card = board.select_one(f"li[data-lead='{lead}']")
    assert card is not None and card.find_parent("ul")["data-stage"] == "new"

    htmx = {"HX-Request": "true"}
    token = board.select_one("input[name=csrf_token]")["value"]
    refused = await dashboard.http.post(f"/board/{lead}/stage", headers=htmx,
                                        data={"stage": "lost", "csrf_token": token})  # fmt: skip
    assert refused.status_code == 422
    assert "motivo" in soup(refused).select_one("#board-error").get_text()
    stage = "SELECT stage FROM leads WHERE id = :i"
    assert await dashboard.scalar(stage, i=lead) == "new"
    moved = await dashboard.http.post(f"/board/{lead}/stage", headers=htmx, data={
        "stage": "lost", "loss_reason": "Parou de responder", "csrf_token": token})  # fmt: skip
    assert moved.status_code == 200
    card = soup(moved).select_one(f"li[data-lead='{lead}']")
    assert card.find_parent("ul")["data-stage"] == "lost"
    assert await dashboard.scalar(stage, i=lead) == "lost"
    timeline = soup(await dashboard.http.get(f"/leads/{lead}")).select_one("#timeline")
    assert "Novo → Perdido (Parou de responder)" in timeline.get_text()


async def test_a_manager_sees_every_lead_and_the_figures_but_not_the_team(
    dashboard: Dashboard,
) -> None:
    await _add_manager(dashboard)
    broker = await user_id(dashboard.container, "marcos.toledo@demo.local")
    theirs = await add_lead(dashboard.container, dashboard.tenant_id, name="Do corretor",
                            assigned_user_id=broker)  # fmt: skip
    await dashboard.login(MANAGER, PASSWORD)
    assert (await dashboard.http.get(f"/leads/{theirs}")).status_code == 200
    assert (await dashboard.http.get("/users")).status_code == 403
    assert (await dashboard.http.get("/channels")).status_code == 403
    overview = soup(await dashboard.http.get("/"))
    assert overview.select_one(f"#broker-figures tr[data-broker='{broker}']") is not None
    assert overview.select_one("#stage-conversion") is not None
    nav = [a.get_text() for a in overview.select("nav a")]
    assert "Funil" in nav and "Equipe" not in nav and "Canais" not in nav


async def test_won_value_and_broker_figures_on_the_overview(dashboard: Dashboard) -> None:
    await dashboard.login()
    broker = await user_id(dashboard.container, "marcos.toledo@demo.local")
    lead = await add_lead(dashboard.container, dashboard.tenant_id, assigned_user_id=broker)
    async with unit_of_work(dashboard.container.sessions) as session:
        first = text("SELECT id FROM properties WHERE tenant_id = :t LIMIT 1")
        listing = (await session.execute(first, {"t": dashboard.tenant_id})).scalar_one()
        deal = await opportunities.open_opportunity(session, dashboard.tenant_id, lead, listing)
        deal_id = deal.id
    page = f"/leads/{lead}"
    won = await dashboard.post(f"/opportunities/{deal_id}", {"lead_id": str(lead), "stage": "won",
                               "value": "500000"}, page=page)  # fmt: skip
    assert won.status_code == 303
    overview = soup(await dashboard.http.get("/"))
    assert overview.select_one("[data-kpi=won-value]").get_text() == "R$ 500.000"
    row = overview.select_one(f"#broker-figures tr[data-broker='{broker}']")
    assert row.select_one("[data-col=won]").get_text() == "1"
    # A broker sees the sales figures of their own leads, and no per-broker table.
    await dashboard.login("juliana.ferraz@demo.local")
    mine = soup(await dashboard.http.get("/"))
    assert mine.select_one("#broker-figures") is None


async def test_an_admin_edits_a_brokers_routing_profile(dashboard: Dashboard) -> None:
    await dashboard.login()
    broker = await user_id(dashboard.container, "marcos.toledo@demo.local")
    form = {"phone": "11 97777-1111", "neighborhoods": "Moema, Vila Mariana", "cities": "",
            "specialities": "rent", "daily_lead_cap": "4", "vacation_from": "2026-12-20",
            "vacation_until": "2027-01-05", "role": "broker"}  # fmt: skip
    saved = await dashboard.post(f"/users/{broker}/profile", form, page="/users")
    assert saved.status_code == 303
    row = ("SELECT phone || '|' || (areas->'neighborhoods')::text || '|' || specialities::text || '|' "
           "|| daily_lead_cap || '|' || available || '|' || vacation_until FROM users WHERE id = :u")  # fmt: skip
    assert await dashboard.scalar(row, u=broker) == (
        '+5511977771111|["Moema", "Vila Mariana"]|["rent"]|4|false|2027-01-05'
    )
    bad = await dashboard.post(f"/users/{broker}/profile",
                               {**form, "vacation_until": "2026-12-01"}, page="/users")  # fmt: skip
    assert bad.status_code == 400 and "férias" in bad.text


def test_vellarys_user_update_changes_the_profile(
    fresh_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_database()
    monkeypatch.setenv("VELLARYS_DATABASE_URL", url)
    monkeypatch.setenv("VELLARYS_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    assert (
        runner.invoke(app, ["tenant", "create", "--slug", "rota", "--name", "Rota"]).exit_code == 0
    )
    created = runner.invoke(app, ["user", "create", "--tenant", "rota", "--email", "b@rota.local",
                                  "--password", "senha-forte-1"])  # fmt: skip
    assert created.exit_code == 0, created.output
    done = runner.invoke(app, ["user", "update", "--tenant", "rota", "--email", "b@rota.local",
                               "--cities", "Campinas", "--specialities", "sale,high_end",
                               "--cap", "3", "--unavailable", "--role", "manager"])  # fmt: skip
    assert done.exit_code == 0, done.output
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT role, areas, specialities, daily_lead_cap, available "
                           "FROM users WHERE email = 'b@rota.local'").fetchone()  # fmt: skip
    assert row == ("manager", {"cities": ["Campinas"]}, ["sale", "high_end"], 3, False)
    bad = runner.invoke(app, ["user", "update", "--tenant", "rota", "--email", "b@rota.local",
                              "--specialities", "barcos"])  # fmt: skip
    assert bad.exit_code == 1 and "Especialidade desconhecida" in bad.output


async def test_a_manager_changes_their_password_and_an_admins_reset_link_is_audited(
    dashboard: Dashboard,
) -> None:
    manager = await _add_manager(dashboard)
    await dashboard.login(MANAGER, PASSWORD)
    form = {"current_password": PASSWORD, "new_password": "outra-senha-456",
            "confirm_password": "outra-senha-456"}  # fmt: skip
    changed = await dashboard.post("/account/password", form, page="/account/password")
    assert changed.status_code == 303
    await dashboard.login()
    link = await dashboard.post(f"/users/{manager}/reset-link", page="/users")
    url = soup(link).select_one("#reset-link").get_text().strip()
    issued = ("SELECT count(*) FROM audit_log WHERE action = 'user.reset_link_issued' "
              "AND target_id = :u")  # fmt: skip
    assert await dashboard.scalar(issued, u=str(manager)) == 1
    path = url.split("testserver", 1)[-1] if "testserver" in url else "/" + url.split("/", 3)[3]
    new = {"new_password": "terceira-senha-789", "confirm_password": "terceira-senha-789"}
    token = soup(await dashboard.http.get(path)).select_one("input[name=csrf_token]")["value"]
    assert (await dashboard.http.post(path, data={**new, "csrf_token": token})).status_code == 303
    assert (await dashboard.login(MANAGER, "terceira-senha-789")).status_code == 303
