"""The re-engagement page: scheduled follow-ups and reactivations, cancel one, send one now,
and how they did (sent, answered within 24 h, opt-outs after a nudge)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, PlannedMessage, Tenant
from vellarys.db.queries import followup as followup_queries
from vellarys.errors import Conflict, NotFound
from vellarys.services.followups import Planned, plan, send_one

ANSWER_WINDOW = timedelta(hours=24)
OPT_OUT_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Figures:
    sent: int
    answered: int  # the lead wrote within 24 h of the nudge
    opted_out: int  # the lead opted out within 7 days of the nudge


async def scheduled(session: AsyncSession, *, tenant: Tenant, now: datetime) -> list[Planned]:
    """Every reachable lead's next follow-up or reactivation, soonest first."""
    return await plan(session, tenant=tenant, now=now, until=None)


async def _find(
    session: AsyncSession, tenant: Tenant, now: datetime, lead_id: uuid.UUID, kind: str, step: int
) -> Planned:
    for item in await scheduled(session, tenant=tenant, now=now):
        if (item.lead.id, item.kind, item.step) == (lead_id, kind, step):
            return item
    raise NotFound("Esta mensagem não está mais agendada (já foi enviada ou o lead respondeu).")


async def cancel(
    session: AsyncSession,
    *,
    tenant: Tenant,
    lead_id: uuid.UUID,
    kind: str,
    step: int,
    now: datetime,
    user_id: uuid.UUID | None,
) -> PlannedMessage:
    """Claim the step as cancelled, so no worker ever sends it; the next step stays planned."""
    item = await _find(session, tenant, now, lead_id, kind, step)
    row = await followup_queries.claim(
        session,
        tenant_id=tenant.id,
        lead_id=lead_id,
        kind=kind,
        anchor=item.anchor,
        step=step,
        values={
            "status": "cancelled",
            "send_at": item.send_at,
            "text": item.text,
            "user_id": user_id,
        },
    )
    if row is None:
        raise Conflict("Esta mensagem acabou de ser enviada.")
    return row


async def send_now(
    session: AsyncSession,
    *,
    tenant: Tenant,
    lead_id: uuid.UUID,
    kind: str,
    step: int,
    now: datetime,
    user_id: uuid.UUID | None,
) -> PlannedMessage:
    """Send a planned step at once (outside the window only as an approved template)."""
    item = await _find(session, tenant, now, lead_id, kind, step)
    row = await send_one(session, replace(item, send_at=now), user_id=user_id)
    if row is None:
        raise Conflict("Esta mensagem acabou de ser enviada.")
    return row


async def recent(
    session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime, days: int = 30
) -> list[tuple[PlannedMessage, Lead]]:
    return await followup_queries.planned_between(
        session, tenant_id, start=now - timedelta(days=days), end=now + timedelta(seconds=1)
    )


async def figures(
    session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime, days: int = 30
) -> Figures:
    """Sent nudges of the last ``days``, how many got an answer within 24 h, and opt-outs."""
    sent, answered, opted_out = await followup_queries.nudge_outcomes(
        session,
        tenant_id,
        since=now - timedelta(days=days),
        answer_window=ANSWER_WINDOW,
        opt_out_window=OPT_OUT_WINDOW,
    )
    return Figures(sent=sent, answered=answered, opted_out=opted_out)
