"""The brain's turn in SQL: what it reads first, in one trip, and the statement that ends it.

``read`` loads the lead, its recent history and its agency, and counts what the rest of the
turn would otherwise ask for one by one: the messages since the lead's last summary, whether
the lead has visits, whether the agency has an active outgoing webhook. ``finish`` closes the
burst, says whether a newer message arrived meanwhile, and defers the reply's jobs, in one
statement. Both are scoped by tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, distinct, exists, func, or_, select, text, true
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from vellarys.db import queue
from vellarys.db.models import Lead, Message, Property, Tenant, User, Visit, WebhookEndpoint
from vellarys.db.queries.lead import recent_messages
from vellarys.db.queries.visit import NO_VISITS


@dataclass(frozen=True, slots=True)
class TurnRead:
    lead: Lead
    history: list[Message]  # the last messages, oldest first
    tenant: Tenant
    since_summary: int  # messages after the lead's last summary (all when never summarised)
    hooks: bool  # the agency has an active outgoing webhook endpoint
    # Asked for when this process does not keep them: the agency's listings' neighborhoods and
    # cities (raw, distinct), and its active staff names (by name, as ``user.staff_names``).
    places: tuple[list[str], list[str]] | None = None
    staff: list[str] | None = None


async def read(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    *,
    limit: int,
    places: bool = False,
    staff: bool = False,
) -> TurnRead | None:
    """The lead, its last ``limit`` messages, its agency and the turn's counts, in one trip;
    with ``places`` and ``staff``, the agency's places and staff names too.

    The counts and lists are uncorrelated subqueries (run once, not once per history row)."""
    message = recent_messages(tenant_id, limit)
    summarised = aliased(Lead)
    last_summary = (
        select(summarised.summary_updated_at)
        .where(summarised.tenant_id == tenant_id, summarised.id == lead_id)
        .scalar_subquery()
    )
    counted = aliased(Message)
    since = (
        select(func.count())
        .select_from(counted)
        .where(
            counted.tenant_id == tenant_id,
            counted.lead_id == lead_id,
            or_(last_summary.is_(None), counted.created_at > last_summary),
        )
        .scalar_subquery()
    )
    visits = exists().where(Visit.tenant_id == tenant_id, Visit.lead_id == lead_id)
    hooks = exists().where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.active)
    lists = [*(_places(tenant_id) if places else ()), *(_staff(tenant_id) if staff else ())]
    rows = (
        await session.execute(
            select(Lead, Tenant, message, since, visits, hooks, *lists)
            .select_from(Lead)
            .join(Tenant, Tenant.id == Lead.tenant_id)
            .outerjoin(message, true())
            .where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
        )
    ).all()
    if not rows:
        return None
    lead, tenant, _, count, has_visits, has_hooks = rows[0][:6]
    no_visits: set[uuid.UUID] = session.info.setdefault(NO_VISITS, set())
    if has_visits:
        no_visits.discard(lead_id)
    else:
        no_visits.add(lead_id)
    history = sorted((row[2] for row in rows if row[2] is not None), key=lambda m: m.created_at)
    extra = list(rows[0][6:])
    kept = (list(extra.pop(0) or ()), list(extra.pop(0) or ())) if places else None
    names = [name for name in extra.pop(0) or () if name] if staff else None
    return TurnRead(lead, history, tenant, int(count), bool(has_hooks), kept, names)


def _places(tenant_id: uuid.UUID) -> list[ScalarSelect[Any]]:
    """``property.places`` as two lists: the distinct neighborhoods, the distinct cities."""
    return [
        select(func.array_agg(distinct(column)))
        .where(Property.tenant_id == tenant_id)
        .scalar_subquery()
        for column in (Property.neighborhood, Property.city)
    ]


def _staff(tenant_id: uuid.UUID) -> list[ScalarSelect[Any]]:
    """``user.staff_names`` as a list, in the same order."""
    names = select(func.array_agg(aggregate_order_by(User.name, User.name)))
    return [names.where(User.tenant_id == tenant_id, User.active).scalar_subquery()]


async def finish(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    burst: Sequence[Message],
    now: datetime,
    jobs: Sequence[queue.Job],
) -> bool:
    """Close the burst (its rows and the loaded messages) and defer ``jobs``; True when another
    inbound message of the lead is still unprocessed (it arrived during the turn: the caller
    undoes the turn)."""
    deferred, params = queue.defer_rows(jobs)
    defer = f"cardinality({deferred})" if jobs else "0"
    statement = text(
        f"""
        WITH closed AS (
            UPDATE messages SET processed_at = :now, updated_at = now()
            WHERE tenant_id = :tenant AND id = ANY(:burst) RETURNING id
        )
        SELECT EXISTS (
            SELECT 1 FROM messages m
            WHERE m.tenant_id = :tenant AND m.lead_id = :lead AND m.direction = 'inbound'
              AND m.processed_at IS NULL AND m.id <> ALL(:burst)
        ), (SELECT count(*) FROM closed), {defer}
        """  # noqa: S608 (only the jobs' placeholders are interpolated; values are bound)
    ).bindparams(bindparam("burst", type_=ARRAY(UUID(as_uuid=True))))
    ids = [m.id for m in burst]
    values = {"now": now, "tenant": tenant_id, "lead": lead_id, "burst": ids, **params}
    row = (await session.execute(statement, values)).one()
    for message in burst:
        set_committed_value(message, "processed_at", now)
    return bool(row[0])
