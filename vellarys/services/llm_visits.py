"""The LLM brain's visit acts: offer a listing's free slots, book the slot the lead chose,
cancel; and what the prompt says of the lead's open offer and booked visit.

The same calendar as the offline booking (``services.visits``): one visit per broker slot,
the lead handed over hot with the visit attached once a slot is booked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Visit
from vellarys.db.queries import visit as visit_queries
from vellarys.domain import visit_talk, visit_text
from vellarys.domain.conversation import Turn
from vellarys.services import visits
from vellarys.services.deps import PipelineDeps
from vellarys.services.visit_notices import announce, describe
from vellarys.services.visits import VisitReply


@dataclass(frozen=True, slots=True)
class SlotOffer:
    """What the LLM brain's visit tool tells the model it offered."""

    code: str
    broker: str
    labels: list[str]
    missed: str | None
    moving: bool


async def offer_slots(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    code: str,
    text: str,
    history: Sequence[Turn],
) -> SlotOffer | None:
    """Offer free slots for ``code`` (else the listing in focus), or for moving the lead's
    booked visit when ``code`` is empty or its listing; None: no listing, broker or slot."""
    booked = await _booked(session, lead, deps.clock.now())
    if booked is not None and code.upper() in ("", booked.property_code):
        visit, broker = booked, await visits.broker_of(session, booked)
    else:
        proposal = await visits.propose(
            session, deps, lead=lead, text=code or text, history=history
        )
        if proposal is None:
            return None
        visit, broker = proposal
    held = await visits.hold_offer(session, deps, visit=visit, lead=lead, text=text, broker=broker)
    if held is None or broker is None:
        return None
    moving = visit.status in visit_queries.ACTIVE
    return SlotOffer(visit.property_code, broker.name, held.labels, held.missed, moving)


async def book_offered(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    choice: int,
    history: Sequence[Turn],
) -> VisitReply | None:
    """Book the ``choice``-th (from 1) slot of the lead's pending offer; None: no such slot."""
    rows = await visit_queries.of_lead(session, lead.tenant_id, lead.id)
    pending = next((v for v in rows if v.awaiting == "choice"), None)
    if pending is None or not 1 <= choice <= len(pending.offered):
        return None
    zone = await visits.agency_zone(session, lead)
    slot = datetime.fromisoformat(pending.offered[choice - 1]).astimezone(zone)
    return await visits.book_slot(session, deps, pending, slot, lead=lead, history=history)


async def cancel_open(
    session: AsyncSession, deps: PipelineDeps, *, lead: Lead
) -> VisitReply | None:
    """Cancel the lead's pending offer, else their booked visit (its broker is told)."""
    now = deps.clock.now()
    rows = await visit_queries.of_lead(session, lead.tenant_id, lead.id)
    pending = next((v for v in rows if v.awaiting and v.status == "proposed"), None)
    if pending is not None:
        pending.status, pending.awaiting = "cancelled", None
        return VisitReply([visit_text.NOTHING_BOOKED], pending.id)
    booked = await _booked(session, lead, now)
    if booked is None:
        return None
    facts = await describe(session, booked, lead, now=now)
    booked.status, booked.awaiting = "cancelled", None
    await announce(session, visit=booked, lead=lead, kind="cancelled", now=now)
    return VisitReply([visit_text.cancelled(facts)], booked.id)


async def open_visit(session: AsyncSession, deps: PipelineDeps, *, lead: Lead) -> dict[str, object]:
    """The lead's pending offer (numbered slots) and booked visit, for the LLM's prompt."""
    now, zone = deps.clock.now(), await visits.agency_zone(session, lead)
    local_now = now.astimezone(zone)
    found: dict[str, object] = {}
    for visit in await visit_queries.of_lead(session, lead.tenant_id, lead.id):
        if visit.awaiting == "choice" and visit.offered:
            slots = [datetime.fromisoformat(s).astimezone(zone) for s in visit.offered]
            found["offered"] = {
                "code": visit.property_code,
                "slots": {
                    n: visit_talk.slot_label(s, now=local_now) for n, s in enumerate(slots, 1)
                },
            }
    booked = await _booked(session, lead, now)
    if booked is not None:
        label = visit_talk.slot_label(booked.starts_at.astimezone(zone), now=local_now)
        found["booked"] = {"code": booked.property_code, "when": label}
    return found


async def _booked(session: AsyncSession, lead: Lead, now: datetime) -> Visit | None:
    rows = await visit_queries.of_lead(session, lead.tenant_id, lead.id)
    return next((v for v in rows if v.status in visit_queries.ACTIVE and v.starts_at > now), None)
