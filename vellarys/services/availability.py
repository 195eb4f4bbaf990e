"""A broker's availability: the weekly hours, the blocked times, and the free visit slots."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import BrokerBlock, BrokerSchedule, Tenant, User
from vellarys.db.models.visit import BLOCK_KINDS
from vellarys.db.queries import tenant as tenant_queries
from vellarys.db.queries import user as user_queries
from vellarys.db.queries import visit as visit_queries
from vellarys.domain import business_hours, visit_slots
from vellarys.domain.business_hours import DAYS
from vellarys.errors import BadRequest, NotFound


@dataclass(frozen=True, slots=True)
class Availability:
    """What the form shows: the week as text per day (own or inherited) and the blocks."""

    user: User
    week: dict[str, str]
    own: bool
    blocks: list[BrokerBlock]


async def agency_rules(
    session: AsyncSession, tenant_id: uuid.UUID
) -> tuple[Mapping[str, Any], business_hours.BusinessHours, visit_slots.VisitRules]:
    tenant: Tenant | None = await tenant_queries.get(session, tenant_id)
    settings: Mapping[str, Any] = (tenant.settings or {}) if tenant else {}
    return (
        settings,
        business_hours.from_settings(settings),
        visit_slots.rules_from_settings(settings),
    )


async def week_of(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[visit_slots.Week, bool]:
    """The broker's effective week, and whether it is their own (not the agency's hours)."""
    _, hours, _ = await agency_rules(session, tenant_id)
    stored = await visit_queries.schedule_of(session, tenant_id, user_id)
    own = visit_slots.week_from_json(stored.week if stored else None)
    return visit_slots.effective_week(own, hours), own is not None


async def availability(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> Availability:
    user = await _broker(session, tenant_id, user_id)
    week, own = await week_of(session, tenant_id, user_id)
    blocks = await visit_queries.blocks_of(session, tenant_id, user_id, since=now)
    return Availability(user=user, week=visit_slots.week_text(week), own=own, blocks=blocks)


async def set_week(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, days: Mapping[str, str]
) -> None:
    """Store the broker's weekly hours from the form's text per day ("09:00-12:00, 14:00-18:00")."""
    await _broker(session, tenant_id, user_id)
    parsed: list[tuple[visit_slots.Span, ...]] = []
    for day in DAYS:
        try:
            parsed.append(visit_slots.parse_spans(str(days.get(day) or "")))
        except ValueError as exc:
            raise BadRequest(f"{DAY_NAMES[day]}: {exc}") from None
    week = visit_slots.week_to_json(tuple(parsed))
    stored = await visit_queries.schedule_of(session, tenant_id, user_id)
    if stored is None:
        session.add(BrokerSchedule(tenant_id=tenant_id, user_id=user_id, week=week))
    else:
        stored.week = week
    await session.flush()


async def add_block(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> BrokerBlock:
    """Block time on the broker's calendar (a vacation or an appointment)."""
    await _broker(session, tenant_id, user_id)
    if kind not in BLOCK_KINDS:
        raise BadRequest("Escolha férias ou compromisso.")
    if ends_at <= starts_at:
        raise BadRequest("O fim do bloqueio deve ser depois do início.")
    block = BrokerBlock(
        tenant_id=tenant_id,
        user_id=user_id,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip()[:200],
    )
    session.add(block)
    await session.flush()
    return block


async def remove_block(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, block_id: uuid.UUID
) -> None:
    if not await visit_queries.delete_block(session, tenant_id, block_id, user_id):
        raise NotFound("Bloqueio não encontrado.")


async def free_slots(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
    ignore: uuid.UUID | None = None,
) -> list[datetime]:
    """The broker's free visit starts from ``now`` on (``ignore``: a visit being moved)."""
    _, hours, rules = await agency_rules(session, tenant_id)
    week, _ = await week_of(session, tenant_id, user_id)
    busy = [
        (b.starts_at, b.ends_at)
        for b in await visit_queries.blocks_of(session, tenant_id, user_id, since=now)
    ]
    held = await visit_queries.held_by_broker(session, tenant_id, user_id, since=now)
    busy += [(v.starts_at, v.ends_at) for v in held if v.id != ignore]
    return visit_slots.free_slots(week, hours=hours, rules=rules, busy=busy, now=now)


async def _broker(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await user_queries.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("Usuário não encontrado.")
    return user


DAY_NAMES = {
    "mon": "Segunda", "tue": "Terça", "wed": "Quarta", "thu": "Quinta", "fri": "Sexta",
    "sat": "Sábado", "sun": "Domingo",
}  # fmt: skip


async def brokers(session: AsyncSession, *, tenant_id: uuid.UUID) -> list[User]:
    """The agency's active brokers, by name (the calendar's filter)."""
    staff = await user_queries.active_staff(session, tenant_id)
    return [user for user in staff if user.role == "broker"]


async def set_visit_rules(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    minutes: str,
    buffer_minutes: str,
    notice_hours: str,
    bring: str,
) -> visit_slots.VisitRules:
    """The agency's visit length (15-240 min), travel buffer (0-180 min), least notice
    (0-72 h) and what a lead brings; nothing is stored when a number is out of range."""
    tenant = await tenant_queries.get(session, tenant_id)
    if tenant is None:
        raise NotFound("Imobiliária não encontrada.")
    values = {
        "visit_minutes": _number(minutes, "Duração da visita", 15, 240),
        "visit_buffer_minutes": _number(buffer_minutes, "Intervalo de deslocamento", 0, 180),
        "visit_notice_hours": _number(notice_hours, "Antecedência mínima", 0, 72),
        "visit_bring": bring.strip()[:300],
    }
    tenant.settings = {**(tenant.settings or {}), **values}
    await session.flush()
    return visit_slots.rules_from_settings(tenant.settings)


def _number(text: str, label: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise BadRequest(f"{label}: informe um número inteiro.") from None
    if not low <= value <= high:
        raise BadRequest(f"{label}: entre {low} e {high}.")
    return value
