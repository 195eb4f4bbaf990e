"""Visits as staff see them: the list (CLI, calendar page, lead page), the broker's outcome
after the visit, confirmation, and the ``.ics`` file."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, User, Visit
from vellarys.db.models.visit import VISIT_OUTCOMES, VISIT_STATUSES
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import visit as visit_queries
from vellarys.domain import visit_ics
from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services.availability import agency_rules
from vellarys.services.visit_notices import describe, send_no_show


@dataclass(frozen=True, slots=True)
class VisitRow:
    visit: Visit
    lead: Lead
    broker: User | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.visit.id),
            "lead_id": str(self.visit.lead_id),
            "property_code": self.visit.property_code,
            "broker": self.broker.name if self.broker else None,
            "starts_at": self.visit.starts_at.isoformat(),
            "status": self.visit.status,
        }


async def list_visits(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[VisitRow]:
    if status and status not in VISIT_STATUSES:
        raise BadRequest("Situação de visita desconhecida.")
    rows = await visit_queries.listing(
        session,
        tenant_id,
        lead_id=lead_id,
        user_id=user_id,
        status=status,
        since=since,
        until=until,
    )
    return [VisitRow(v, lead, broker) for v, lead, broker in rows]


async def week_of(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    start: date,
    user_id: uuid.UUID | None,
    status: str | None,
) -> tuple[list[date], dict[date, list[VisitRow]]]:
    """The seven days from ``start`` (in the agency's zone) and each day's visits."""
    _, hours, _ = await agency_rules(session, tenant_id)
    first = datetime.combine(start, datetime.min.time(), tzinfo=hours.zone)
    rows = await list_visits(
        session,
        tenant_id=tenant_id,
        user_id=user_id,
        status=status,
        since=first,
        until=first + timedelta(days=7),
    )
    days = [start + timedelta(days=n) for n in range(7)]
    by_day: dict[date, list[VisitRow]] = {day: [] for day in days}
    for row in rows:
        by_day.setdefault(row.visit.starts_at.astimezone(hours.zone).date(), []).append(row)
    return days, by_day


async def record_outcome(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    visit_id: uuid.UUID,
    outcome: str,
    note: str,
    now: datetime,
) -> Visit:
    """The broker's outcome after the visit time; a no-show gets one message to reschedule."""
    visit = await _visit(session, tenant_id, visit_id)
    if outcome not in VISIT_OUTCOMES:
        raise BadRequest("Escolha um resultado: realizada, não compareceu, gostou ou proposta.")
    if visit.status not in ("scheduled", "confirmed", "done", "no_show"):
        raise Conflict("Só uma visita agendada pode ter resultado.")
    if visit.starts_at > now:
        raise Conflict("O resultado é registrado depois do horário da visita.")
    visit.outcome, visit.outcome_note = outcome, note.strip()[:1000] or None
    visit.status = "no_show" if outcome == "no_show" else "done"
    if outcome != "no_show":
        visit.awaiting = None
    else:
        lead = await lead_queries.get(session, tenant_id, visit.lead_id)
        if lead is not None:
            await send_no_show(session, visit=visit, lead=lead, now=now)
    await session.flush()
    return visit


async def confirm_visit(
    session: AsyncSession, *, tenant_id: uuid.UUID, visit_id: uuid.UUID
) -> Visit:
    """The broker confirms a scheduled visit."""
    visit = await _visit(session, tenant_id, visit_id)
    if visit.status != "scheduled":
        raise Conflict("Só uma visita agendada pode ser confirmada.")
    visit.status = "confirmed"
    await session.flush()
    return visit


async def visit_file(
    session: AsyncSession, *, tenant_id: uuid.UUID, visit_id: uuid.UUID, now: datetime
) -> bytes:
    """The visit as an iCalendar file."""
    visit = await _visit(session, tenant_id, visit_id)
    lead = await lead_queries.get(session, tenant_id, visit.lead_id)
    assert lead is not None  # the visit's foreign key guarantees the lead
    facts = await describe(session, visit, lead, now=now)
    return visit_ics.visit_calendar(
        visit_id=visit.id,
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        summary=f"Visita {facts.code} — {facts.lead}",
        location=facts.address,
        description=f"Lead: {facts.lead} ({facts.phone})\nImóvel: {facts.code} — {facts.title}\n"
        f"Corretor(a): {facts.broker}",
        stamp=now,
        cancelled=visit.status == "cancelled",
    )


async def visit_tenant(session: AsyncSession, visit_id: uuid.UUID) -> uuid.UUID | None:
    """The agency of a visit, for the token link (opened without a dashboard session)."""
    found = await session.get(Visit, visit_id)
    return found.tenant_id if found is not None else None


async def _visit(session: AsyncSession, tenant_id: uuid.UUID, visit_id: uuid.UUID) -> Visit:
    visit = await visit_queries.get(session, tenant_id, visit_id)
    if visit is None:
        raise NotFound("Visita não encontrada.")
    return visit
