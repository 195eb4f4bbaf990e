"""The managers' report for a fixed data set and clock: every figure, the brokers' ranking
(answer times, visits, wins, goals), another agency left out, and each export read back by a
parser (csv, openpyxl, pypdf) with formula-looking names defused."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_handoff, make_lead, make_message, make_tenant, make_user
from vellarys.db.models import AgencyGoal, Lead, Opportunity, Property, Tenant, User, Visit
from vellarys.db.queries import sales as sales_queries
from vellarys.domain.report import period, tables
from vellarys.errors import BadRequest, Forbidden, NotFound
from vellarys.services import reports
from vellarys.services.auth import Viewer

SP = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=SP)
DAY = datetime(2026, 12, 3, 10, 0, tzinfo=SP)  # inside "this month"
EVIL = '=HYPERLINK("http://x")\x07'  # a formula, and a control character Excel refuses
PORTAL = "Portal · ZAP Imóveis"


def _viewer(tenant: Tenant, user: User) -> Viewer:
    return Viewer(user.id, tenant.id, user.role, user.name, user.email, tenant.name)


async def _visit(session: AsyncSession, lead: Lead, broker: User | None, status: str,
                 starts: datetime) -> None:  # fmt: skip
    session.add(Visit(tenant_id=lead.tenant_id, lead_id=lead.id, property_code="AP-1",
                      user_id=broker.id if broker else None, status=status, starts_at=starts,
                      ends_at=starts + timedelta(minutes=45)))  # fmt: skip
    await session.flush()


async def _won(session: AsyncSession, lead: Lead, value: int, closed: datetime) -> None:
    listing = Property(tenant_id=lead.tenant_id, code=f"V{value}", title="Apto",
                       property_type="apartment", transaction="sale", price=value,
                       neighborhood="Pinheiros", city="São Paulo")  # fmt: skip
    session.add(listing)
    await session.flush()
    session.add(Opportunity(tenant_id=lead.tenant_id, lead_id=lead.id, property_id=listing.id,
                            stage="won", value=Decimal(value), closed_at=closed))  # fmt: skip
    await session.flush()


async def _answered(session: AsyncSession, lead: Lead, broker: User, minutes: int) -> None:
    await make_handoff(session, lead, user_id=broker.id, created_at=DAY)
    await make_message(session, lead, "Oi!", role="broker",
                       created_at=DAY + timedelta(minutes=minutes))  # fmt: skip


async def _agency(session: AsyncSession) -> tuple[Tenant, User, User, User]:
    """December: five new leads (3 WhatsApp, 2 from a portal), Ana won two of hers (R$ 500.000
    and R$ 300.000) and did two visits, answering handoffs in 5 and 15 min; Bruno (a name that
    looks like a formula) won one, did no visit, answered in 60 min; one visit cancelled, one
    no-show, one still to come. In November: a lead, a win and a visit that must not count."""
    tenant = await make_tenant(session)
    tenant.name = "Casa Paulista"
    admin = await make_user(session, tenant.id, role="admin", name="Gestora")
    ana = await make_user(session, tenant.id, name="Ana Souza")
    bruno = await make_user(session, tenant.id, name=EVIL)
    new = lambda **v: make_lead(session, tenant.id, created_at=DAY, **v)  # noqa: E731
    a1 = await new(stage="won", assigned_user_id=ana.id, first_response_seconds=4.0)
    a2 = await new(stage="won", assigned_user_id=ana.id, first_response_seconds=10.0)
    b1 = await new(stage="handed_off", assigned_user_id=bruno.id, source="portal:zap",
                   first_response_seconds=30.0)  # fmt: skip
    await new(stage="new", source="portal:zap")
    await new(stage="lost")
    old = await make_lead(session, tenant.id, created_at=DAY - timedelta(days=30),
                          assigned_user_id=ana.id)  # fmt: skip
    await _won(session, a1, 500_000, DAY)
    await _won(session, a2, 300_000, DAY + timedelta(days=1))
    await _won(session, b1, 200_000, DAY)
    await _won(session, old, 999_000, DAY - timedelta(days=30))
    await _visit(session, a1, ana, "done", DAY)
    await _visit(session, a2, ana, "done", DAY + timedelta(days=1))
    await _visit(session, b1, bruno, "cancelled", DAY)
    await _visit(session, b1, bruno, "no_show", DAY + timedelta(days=2))
    await _visit(session, b1, bruno, "scheduled", DAY + timedelta(days=5))
    await _visit(session, b1, bruno, "proposed", DAY + timedelta(days=6))
    await _visit(session, old, ana, "done", DAY - timedelta(days=30))
    await _answered(session, a1, ana, 5)
    await _answered(session, a2, ana, 15)
    await _answered(session, b1, bruno, 60)
    return tenant, admin, ana, bruno


async def _other_agency(session: AsyncSession) -> None:
    other = await make_tenant(session)
    spy = await make_user(session, other.id, name="Espiã")
    lead = await make_lead(session, other.id, created_at=DAY, source="feirao", stage="won",
                           assigned_user_id=spy.id)  # fmt: skip
    await _won(session, lead, 777_000, DAY)
    await _visit(session, lead, spy, "done", DAY)


async def test_the_report_counts_the_period_and_never_another_agency(
    session: AsyncSession,
) -> None:
    tenant, admin, ana, _ = await _agency(session)
    await _other_agency(session)
    viewer = _viewer(tenant, admin)
    await reports.set_goal(session, viewer, user_id=ana.id, month="2026-12", visits="3", won="2")
    month = await reports.choose_period(session, viewer, preset="month", first=None, last=None,
                                        now=NOW)  # fmt: skip
    assert (month.first, month.last) == (date(2026, 12, 1), date(2026, 12, 10))
    report = await reports.build_report(session, viewer, chosen=month)

    assert report.leads == 5 and report.won_leads == 2 and report.conversion == 40.0
    assert report.by_source == [("whatsapp", 3), ("portal:zap", 2)]
    assert dict(report.by_stage) == {"won": 2, "handed_off": 1, "new": 1, "lost": 1}
    assert report.by_broker == [("Ana Souza", 2), ("Sem corretor", 2), (EVIL, 1)]
    assert report.visits == {"booked": 5, "upcoming": 1, "done": 2, "no_show": 1, "cancelled": 1}
    assert report.first_response_median == 10.0
    assert report.won_deals == 3 and report.won_value == Decimal(1_000_000)
    first, second = report.ranking
    assert (first.name, first.won, first.visits_done, first.handoffs) == ("Ana Souza", 2, 2, 2)
    assert first.median_answer_seconds == 600.0  # 5 and 15 min
    assert (first.goal_won, first.goal_visits) == (2, 3)
    assert (second.name, second.won, second.median_answer_seconds) == (EVIL, 1, 3600.0)
    assert second.goal_won is None
    # The overview reads the same per-broker figure, from the month's start with no end.
    overview = await sales_queries.per_broker(session, tenant.id, DAY.replace(day=1))
    assert {b.name: b.median_response_seconds for b in overview} == {
        "Ana Souza": 600.0,
        EVIL: 3600.0,
    }
    names = {row.name for row in report.ranking} | {b for b, _ in report.by_broker}
    assert "Espiã" not in names and "feirao" not in dict(report.by_source)

    today = await reports.build_report(session, viewer, chosen=period("today", None, None,
                                                                      today=date(2026, 12, 10)))  # fmt: skip
    assert today.leads == 0 and today.visits["done"] == 0 and today.ranking[0].won == 0


async def test_each_export_reads_back_with_formulas_defused(session: AsyncSession) -> None:
    tenant, admin, _, _ = await _agency(session)
    chosen = period(None, "2026-12-01", "2026-12-31", today=NOW.date())
    report = await reports.build_report(session, _viewer(tenant, admin), chosen=chosen)

    made = await reports.export_report(report, fmt="csv")
    assert made.filename == "relatorio-20261201-20261231.csv" and "text/csv" in made.media_type
    rows = list(csv.reader(io.StringIO(made.content.decode("utf-8-sig"))))
    assert ["Novos leads", "5"] in rows and [PORTAL, "2"] in rows
    assert ["Realizadas", "2"] in rows and ["Conversão (ganhos / novos leads)", "40,0%"] in rows
    assert ["'" + EVIL, "1"] in rows  # leads by broker: never a live formula
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "@"))]

    book = load_workbook(io.BytesIO((await reports.export_report(report, fmt="xlsx")).content))
    assert book.sheetnames == ["Resumo — Casa Paulista", "Leads por origem", "Leads por etapa",
                               "Leads por corretor", "Visitas", "Ranking de corretores"]  # fmt: skip
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["Novos leads"] == 5 and summary["Leads ganhos"] == 2
    ranking = list(book["Ranking de corretores"].iter_rows(values_only=True))
    assert ranking[1][:5] == (1, "Ana Souza", 2, "—", 2) and ranking[2][1] == "'" + EVIL[:-1]
    assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)

    pdf = PdfReader(io.BytesIO((await reports.export_report(report, fmt="pdf")).content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for expected in ("Casa Paulista", "Leads por origem", "Ranking de corretores", "Ana Souza",
                     "Realizadas", "R$ 1.000.000"):  # fmt: skip
        assert expected in text, expected


async def test_brokers_are_refused_and_bad_input_is_a_clear_400(session: AsyncSession) -> None:
    tenant, admin, ana, _ = await _agency(session)
    broker = _viewer(tenant, ana)
    chosen = period("7d", None, None, today=NOW.date())
    with pytest.raises(Forbidden):
        await reports.build_report(session, broker, chosen=chosen)
    with pytest.raises(Forbidden):
        await reports.set_goal(session, broker, user_id=ana.id, month="2026-12", visits="1",
                               won="1")  # fmt: skip
    viewer = _viewer(tenant, admin)
    for first, last in (
        ("2026-12-10", "2026-12-01"),
        ("ontem", None),
        ("2024-01-01", "2026-01-01"),
        ("9999-12-31", None),
    ):
        with pytest.raises(BadRequest):
            await reports.choose_period(
                session, viewer, preset=None, first=first, last=last, now=NOW
            )
    with pytest.raises(BadRequest):
        await reports.choose_period(session, viewer, preset="ano", first=None, last=None, now=NOW)
    for month, visits in (("dez", "1"), ("9999-12", "1"), ("2026-12", "-1"), ("2026-12", "muitas")):
        with pytest.raises(BadRequest):
            await reports.set_goal(session, viewer, user_id=ana.id, month=month, visits=visits,
                                   won="0")  # fmt: skip
    other = await make_tenant(session)
    stranger = await make_user(session, other.id)
    with pytest.raises(NotFound):  # another agency's broker
        await reports.set_goal(session, viewer, user_id=stranger.id, month="2026-12",
                               visits="1", won="1")  # fmt: skip
    assert chosen.first == date(2026, 12, 4) and chosen.last == date(2026, 12, 10)


async def test_the_agency_goal_progress_and_the_overview_standing(session: AsyncSession) -> None:
    tenant, admin, ana, bruno = await _agency(session)
    await _other_agency(session)
    other = (await session.execute(select(User).where(User.name == "Espiã"))).scalar_one()
    other_admin = await make_user(session, other.tenant_id, role="admin", name="Outra")
    other_tenant = await session.get(Tenant, other.tenant_id)
    assert other_tenant is not None
    viewer = _viewer(tenant, admin)
    await reports.set_agency_goal(session, viewer, month="2026-12", leads="9", visits="8", won="1")
    await reports.set_agency_goal(session, viewer, month="2026-12", leads="10", visits="8",
                                  won="2")  # fmt: skip  # replaces the month's goal
    await reports.set_agency_goal(session, _viewer(other_tenant, other_admin), month="2026-12",
                                  leads="99", visits="99", won="99")  # fmt: skip
    await reports.set_goal(session, viewer, user_id=ana.id, month="2026-12", visits="4", won="2")
    month = period("month", None, None, today=NOW.date())
    report = await reports.build_report(session, viewer, chosen=month)
    expected = [("leads", 5, 10, 50.0), ("visits", 2, 8, 25.0), ("won", 3, 2, 150.0)]
    assert [(g.key, g.value, g.goal, g.percent) for g in report.agency_goal] == expected
    assert tables(report)[-1][2][2] == ["Negócios ganhos", 3, 2, "150,0%"]

    standing = await reports.month_standing(session, viewer, now=NOW)
    assert standing.month == date(2026, 12, 1)
    assert [(g.key, g.value, g.goal, g.percent) for g in standing.agency_goal] == expected
    assert [(n, r.name, r.won, r.goal_won, r.visits_done, r.goal_visits)
            for n, r in standing.ranking] == [(1, "Ana Souza", 2, 2, 2, 4),
                                              (2, EVIL, 1, None, 0, None)]  # fmt: skip
    own = await reports.month_standing(session, _viewer(tenant, bruno), now=NOW)
    assert [(n, r.name) for n, r in own.ranking] == [(2, EVIL)] and own.agency_goal == []
    theirs = await reports.month_standing(session, _viewer(other_tenant, other_admin), now=NOW)
    assert [r.name for _, r in theirs.ranking] == ["Espiã"]
    assert [g.goal for g in theirs.agency_goal] == [99, 99, 99]
    assert [g.value for g in theirs.agency_goal] == [1, 1, 1]
    # A month without a goal shows no progress; a period over two months has none either.
    assert (
        await reports.month_standing(session, viewer, now=NOW + timedelta(days=31))
    ).agency_goal == []
    spanning = period(None, "2026-11-20", "2026-12-05", today=NOW.date())
    assert (await reports.build_report(session, viewer, chosen=spanning)).agency_goal == []

    with pytest.raises(Forbidden):
        await reports.set_agency_goal(session, _viewer(tenant, ana), month="2026-12", leads="1",
                                      visits="1", won="1")  # fmt: skip
    for month_text, leads in (("dez", "1"), ("9999-12", "1"), ("2026-12", "-1"),
                              ("2026-12", "muitos"), ("2026-12", "10001")):  # fmt: skip
        with pytest.raises(BadRequest):
            await reports.set_agency_goal(session, viewer, month=month_text, leads=leads,
                                          visits="1", won="1")  # fmt: skip
    kept = await reports.agency_goal_of(session, viewer, month=date(2026, 12, 1))
    assert kept is not None and (kept.leads, kept.visits, kept.won) == (10, 8, 2)
    count = select(func.count()).select_from(AgencyGoal).where(AgencyGoal.tenant_id == tenant.id)
    assert (await session.execute(count)).scalar_one() == 1
