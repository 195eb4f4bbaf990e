"""The managers' report and the agency's and brokers' goals (admins and managers; brokers are
refused, but see their own line of the month's ranking on the overview).

One period in the agency's time zone: leads by source, stage and broker; visits; the
assistant's first reply; wins and conversion; the brokers' ranking against their monthly
goals. The page and the CSV, Excel and PDF exports read the same ``Report``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters import report_files
from vellarys.db.models import AgencyGoal, BrokerGoal, Lead
from vellarys.db.queries import report as queries
from vellarys.db.queries import sales as sales_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain import business_hours
from vellarys.domain.report import (
    EARLIEST,
    LATEST,
    GoalProgress,
    Period,
    RankRow,
    Report,
    period,
    progress,
    ranked,
    tables,
)
from vellarys.errors import BadRequest, Forbidden, NotFound
from vellarys.services.auth import Viewer

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
MAX_GOAL = 10_000


def _managers_only(viewer: Viewer) -> None:
    if not viewer.is_manager:
        raise Forbidden("Somente gestores da imobiliária veem os relatórios.")


async def _zone(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[str, ZoneInfo]:
    tenant = await tenant_queries.get(session, tenant_id)
    if tenant is None:
        raise NotFound("Imobiliária não encontrada.")
    return tenant.name, business_hours.from_settings(tenant.settings or {}).zone


async def choose_period(
    session: AsyncSession,
    viewer: Viewer,
    *,
    preset: str | None,
    first: str | None,
    last: str | None,
    now: datetime,
) -> Period:
    """The period asked for, "today" being the agency's; bad dates are a 400."""
    _, zone = await _zone(session, viewer.tenant_id)
    try:
        return period(preset, first, last, today=now.astimezone(zone).date())
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc


def _bounds(chosen: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(chosen.first, time(0), tzinfo=zone)
    return start, datetime.combine(chosen.last + timedelta(days=1), time(0), tzinfo=zone)


async def _agency_progress(
    session: AsyncSession, tenant_id: uuid.UUID, month: date | None, figures: dict[str, int]
) -> list[GoalProgress]:
    goal = await queries.agency_goal(session, tenant_id, month) if month else None
    wanted = {"leads": goal.leads, "visits": goal.visits, "won": goal.won} if goal else None
    return progress(wanted, figures)


async def build_report(session: AsyncSession, viewer: Viewer, *, chosen: Period) -> Report:
    """Every figure of the report for the viewer's agency (one query at a time)."""
    _managers_only(viewer)
    agency, zone = await _zone(session, viewer.tenant_id)
    tenant_id = viewer.tenant_id
    start, end = _bounds(chosen, zone)
    leads, won_leads, median, p90 = await queries.lead_figures(session, tenant_id, start, end)
    deals, value = await queries.won_deals(session, tenant_id, start, end)
    visits = await queries.visit_counts(session, tenant_id, start, end)
    figures = {"leads": leads, "visits": visits["done"], "won": deals}
    return Report(
        agency=agency,
        period=chosen,
        leads=leads,
        by_source=await queries.leads_by(session, tenant_id, start, end, Lead.source),
        by_stage=await queries.leads_by(session, tenant_id, start, end, Lead.stage),
        by_broker=await queries.leads_by_broker(session, tenant_id, start, end),
        visits=visits,
        first_response_median=median,
        first_response_p90=p90,
        won_leads=won_leads,
        won_deals=deals,
        won_value=value,
        ranking=await _ranking(session, tenant_id, start, end, chosen.month),
        agency_goal=await _agency_progress(session, tenant_id, chosen.month, figures),
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """The overview's month: the ranking as (place, row) and the agency goal's progress."""

    month: date
    ranking: list[tuple[int, RankRow]]
    agency_goal: list[GoalProgress]


async def month_standing(session: AsyncSession, viewer: Viewer, *, now: datetime) -> Standing:
    """This month so far (the agency's calendar): every broker's place and the agency goal for
    admins and managers; a broker gets only their own line and no agency-wide figure."""
    _, zone = await _zone(session, viewer.tenant_id)
    chosen = period("month", None, None, today=now.astimezone(zone).date())
    month = chosen.first
    start, end = _bounds(chosen, zone)
    tenant_id = viewer.tenant_id
    places = list(enumerate(await _ranking(session, tenant_id, start, end, month), 1))
    if not viewer.is_manager:
        return Standing(month, [(n, row) for n, row in places if row.user_id == viewer.user_id], [])
    leads, _, _, _ = await queries.lead_figures(session, tenant_id, start, end)
    deals, _ = await queries.won_deals(session, tenant_id, start, end)
    visits = await queries.visit_counts(session, tenant_id, start, end)
    figures = {"leads": leads, "visits": visits["done"], "won": deals}
    return Standing(month, places, await _agency_progress(session, tenant_id, month, figures))


async def _ranking(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime, month: date | None
) -> list[RankRow]:
    figures = await sales_queries.per_broker(session, tenant_id, start, end)
    visits = await queries.visits_done_by_broker(session, tenant_id, start, end)
    goals = await queries.goals(session, tenant_id, month) if month else {}
    rows = []
    for broker in figures:
        goal = goals.get(broker.user_id)
        rows.append(
            RankRow(
                name=broker.name,
                won=broker.won,
                won_value=broker.won_value,
                visits_done=visits.get(broker.user_id, 0),
                handoffs=broker.handoffs,
                median_answer_seconds=broker.median_response_seconds,
                goal_won=goal.won if goal else None,
                goal_visits=goal.visits if goal else None,
                user_id=broker.user_id,
            )
        )
    return ranked(rows)


@dataclass(frozen=True, slots=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


async def export_report(report: Report, *, fmt: str) -> ExportFile:
    """The report as a CSV, Excel or PDF file (written off the event loop)."""
    if fmt not in FORMATS:
        raise BadRequest("Formato desconhecido: use csv, xlsx ou pdf.")
    found = tables(report)
    if fmt == "csv":
        content = report_files.to_csv(found)
    elif fmt == "xlsx":
        content = await asyncio.to_thread(report_files.to_xlsx, found)
    else:
        heading = f"Relatório {report.agency} — {report.period.label}"
        content = await asyncio.to_thread(report_files.to_pdf, heading, found)
    name = f"relatorio-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}.{fmt}"
    return ExportFile(content, FORMATS[fmt], name)


async def goals_of(
    session: AsyncSession, viewer: Viewer, *, month: date | None
) -> dict[uuid.UUID, BrokerGoal]:
    """Each broker's goals for ``month`` (none when the period spans months)."""
    _managers_only(viewer)
    return await queries.goals(session, viewer.tenant_id, month) if month else {}


def parse_month(text: str) -> date:
    try:
        month = date.fromisoformat(f"{text.strip()}-01")
    except ValueError as exc:
        raise BadRequest("Mês inválido: use AAAA-MM.") from exc
    if not EARLIEST <= month <= LATEST:
        raise BadRequest(f"Mês inválido: entre {EARLIEST.year} e {LATEST.year}.")
    return month


def _goal(text: str, what: str) -> int:
    try:
        value = int(text.strip() or "0")
    except ValueError as exc:
        raise BadRequest(f"Meta de {what}: informe um número inteiro.") from exc
    if not 0 <= value <= MAX_GOAL:
        raise BadRequest(f"Meta de {what}: entre 0 e {MAX_GOAL}.")
    return value


async def set_goal(
    session: AsyncSession,
    viewer: Viewer,
    *,
    user_id: uuid.UUID,
    month: str,
    visits: str,
    won: str,
) -> None:
    """An admin sets a broker's goals for a month (replacing the month's earlier ones)."""
    if not viewer.is_admin:
        raise Forbidden("Somente administradores definem metas.")
    broker = await user_queries.get(session, viewer.tenant_id, user_id)
    if broker is None:
        raise NotFound("Corretor não encontrado.")
    await queries.set_goal(
        session,
        viewer.tenant_id,
        user_id=broker.id,
        month=parse_month(month),
        visits=_goal(visits, "visitas"),
        won=_goal(won, "negócios ganhos"),
    )


async def agency_goal_of(
    session: AsyncSession, viewer: Viewer, *, month: date | None
) -> AgencyGoal | None:
    """The agency's goals for ``month`` (none when the period spans months)."""
    _managers_only(viewer)
    return await queries.agency_goal(session, viewer.tenant_id, month) if month else None


async def set_agency_goal(
    session: AsyncSession, viewer: Viewer, *, month: str, leads: str, visits: str, won: str
) -> None:
    """An admin sets the whole agency's goals for a month (replacing the month's earlier ones)."""
    if not viewer.is_admin:
        raise Forbidden("Somente administradores definem metas.")
    await queries.set_agency_goal(
        session,
        viewer.tenant_id,
        month=parse_month(month),
        leads=_goal(leads, "novos leads"),
        visits=_goal(visits, "visitas"),
        won=_goal(won, "negócios ganhos"),
    )
