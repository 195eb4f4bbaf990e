"""The leads list: filters, sorts and a page, always scoped by tenant.

Profile filters use ``custom_data @> ...`` so the GIN index ``ix_leads_custom_data_gin``
can serve them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Numeric, Select, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Handoff, Lead, Message, User
from vellarys.db.queries.page import Page, PageRequest, counted, fetch_page
from vellarys.domain import lead_source
from vellarys.domain.lead_search import (
    UNASSIGNED,
    LeadFilters,
    like_pattern,
    phone_digits,
    profile_matches,
)

# Calendar days in filters are the agency's days, not UTC's.
AGENCY_TIMEZONE = ZoneInfo("America/Sao_Paulo")
Row = TypeVarTuple("Row")


def visible(tenant_id: uuid.UUID, visible_to: uuid.UUID | None) -> list[ColumnElement[bool]]:
    """The one rule of who sees which lead: the tenant's leads, and for a broker
    (``visible_to``) only theirs and the unassigned queue."""
    where: list[ColumnElement[bool]] = [Lead.tenant_id == tenant_id]
    if visible_to is not None:
        where.append(or_(Lead.assigned_user_id == visible_to, Lead.assigned_user_id.is_(None)))
    return where


async def visible_lead(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, visible_to: uuid.UUID | None
) -> Lead | None:
    found = await session.execute(
        select(Lead).where(*visible(tenant_id, visible_to), Lead.id == lead_id)
    )
    return found.scalar_one_or_none()


def conditions(
    tenant_id: uuid.UUID, f: LeadFilters, *, visible_to: uuid.UUID | None = None
) -> list[ColumnElement[bool]]:
    """The WHERE clause: the leads (not erased) ``visible_to`` sees that pass ``f``."""
    where = [*visible(tenant_id, visible_to), Lead.erased_at.is_(None)]
    if f.stage:
        where.append(Lead.stage == f.stage)
    if f.temperature:
        where.append(Lead.temperature == f.temperature)
    if f.assigned_user_id == UNASSIGNED:
        where.append(Lead.assigned_user_id.is_(None))
    elif f.assigned_user_id is not None:
        where.append(Lead.assigned_user_id == f.assigned_user_id)
    if f.channel_id is not None:
        where.append(Lead.channel_id == f.channel_id)
    if f.created_from is not None:
        where.append(Lead.created_at >= _day_start(f.created_from))
    if f.created_to is not None:
        where.append(Lead.created_at < _day_start(f.created_to + timedelta(days=1)))
    if f.text and f.text.strip():
        where.append(_text_condition(f.text.strip()))
    if f.source:
        value, prefix = lead_source.matches(f.source)
        where.append(Lead.source.startswith(value) if prefix else Lead.source == value)
    if f.campaign:
        where.append(Lead.campaign == f.campaign)
    where.extend(profile_conditions(f))
    return where


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=AGENCY_TIMEZONE)


def _text_condition(text: str) -> ColumnElement[bool]:
    matches = [Lead.name.ilike(like_pattern(text), escape="\\")]
    digits = phone_digits(text)
    if digits:
        matches.append(Lead.phone.like(f"%{digits}%"))
    return or_(*matches)


def profile_conditions(f: LeadFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.neighborhood:
        where.append(Lead.custom_data.contains({"neighborhoods": [f.neighborhood]}))
    for key in ("intent", "property_type", "city"):
        value = getattr(f, key)
        if value:
            where.append(Lead.custom_data.contains({key: value}))
    for key, value in f.custom.items():
        where.append(or_(*(Lead.custom_data.contains(doc) for doc in profile_matches(key, value))))
    if f.budget_min is not None:
        where.append(_budget() >= f.budget_min)
    if f.budget_max is not None:
        where.append(_budget() <= f.budget_max)
    return where


def _budget() -> ColumnElement[Any]:
    """The profile's ``budget_max`` as a number; NULL when absent or not a number."""
    value = Lead.custom_data["budget_max"]
    return case(
        (func.jsonb_typeof(value) == "number", cast(value.astext, Numeric)),
        else_=None,
    )


def _ordered(statement: Select[*Row], sort: str) -> Select[*Row]:
    order: list[ColumnElement[Any]]
    if sort == "last_message":
        order = [Lead.last_message_at.desc().nulls_last(), Lead.created_at.desc()]
    elif sort == "score":
        order = [Lead.score.desc(), Lead.last_message_at.desc().nulls_last()]
    elif sort == "name":
        order = [func.lower(Lead.name).asc().nulls_last(), Lead.created_at.desc()]
    else:
        order = [Lead.created_at.desc()]
    return statement.order_by(*order, Lead.id)


async def page(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    sort: str,
    request: PageRequest,
) -> tuple[list[Lead], int]:
    """One page of leads and the total that pass ``where``, in one round trip when possible."""
    statement = _ordered(select(Lead, func.count().over().label("total")).where(*where), sort)
    return await counted(session, statement, where, Lead, request)


async def all_matching(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, sort: str, limit: int
) -> list[Lead]:
    found = await session.execute(_ordered(select(Lead).where(*where), sort).limit(limit))
    return list(found.scalars())


async def user_names(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    found = await session.execute(
        select(User.id, User.name).where(User.tenant_id == tenant_id, User.id.in_(set(user_ids)))
    )
    return {user_id: name for user_id, name in found.all()}


async def messages_page(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, request: PageRequest
) -> Page[Message]:
    """One page of a lead's messages, newest first, and how many it has."""
    where = [Message.tenant_id == tenant_id, Message.lead_id == lead_id]
    return await fetch_page(
        session, Message, where, [Message.created_at.desc(), Message.id], request
    )


async def handoffs_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    lead_id: uuid.UUID | None,
    request: PageRequest,
) -> Page[Handoff]:
    where: list[ColumnElement[bool]] = [Handoff.tenant_id == tenant_id]
    if status is not None:
        where.append(Handoff.status == status)
    if lead_id is not None:
        where.append(Handoff.lead_id == lead_id)
    return await fetch_page(
        session, Handoff, where, [Handoff.created_at.desc(), Handoff.id], request
    )


async def handoff(
    session: AsyncSession, tenant_id: uuid.UUID, handoff_id: uuid.UUID
) -> Handoff | None:
    found = await session.execute(
        select(Handoff).where(Handoff.tenant_id == tenant_id, Handoff.id == handoff_id)
    )
    return found.scalar_one_or_none()
