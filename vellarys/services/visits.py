"""Booking a visit in the chat: offer the responsible broker's free slots, understand the
lead's choice, book it (one visit per broker slot: the database's unique key decides a race),
hand the lead over hot with the visit attached; then reschedule and cancel when asked.

``offer_visit`` answers a visit request (called by ``reply.answer``); ``reply_in_chat``
answers what only makes sense about a visit — a choice among the offered slots, "não vou
conseguir", "quero remarcar", "cancela" — and runs even while a broker has the lead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Property, User, Visit
from vellarys.db.queries import property as property_queries
from vellarys.db.queries import user as user_queries
from vellarys.db.queries import visit as visit_queries
from vellarys.domain import visit_talk, visit_text
from vellarys.domain.conversation import Turn
from vellarys.domain.dialogue import shown_codes
from vellarys.domain.intent import listing_codes
from vellarys.domain.visit_talk import Preference
from vellarys.services import routing
from vellarys.services.availability import agency_rules, free_slots
from vellarys.services.deps import PipelineDeps
from vellarys.services.handoff import hand_off
from vellarys.services.visit_notices import announce, describe

OFFERED = 3


@dataclass(frozen=True, slots=True)
class VisitReply:
    messages: list[str]
    visit_id: uuid.UUID
    asked: str | None = None  # the slot the reply asks ("name" after a booking)


async def offer_visit(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    text: str,
    history: Sequence[Turn],
) -> VisitReply | None:
    """Slots for the listing the lead wants to visit; None when no listing is in focus (the
    lead is then handed to a broker, who arranges the visit)."""
    proposal = await propose(session, deps, lead=lead, text=text, history=history)
    if proposal is None:
        return None
    visit, broker = proposal
    return await _offer(session, deps, visit=visit, lead=lead, text=text, broker=broker)


async def propose(
    session: AsyncSession, deps: PipelineDeps, *, lead: Lead, text: str, history: Sequence[Turn]
) -> tuple[Visit, User] | None:
    """A new proposal for the listing in focus with its responsible broker (older offers go)."""
    prop = await _listing_in_focus(session, lead, text, history)
    if prop is None:
        return None
    broker = await _responsible_broker(session, lead, prop, deps.clock.now())
    if broker is None:
        return None
    visit = Visit(
        tenant_id=lead.tenant_id,
        lead_id=lead.id,
        user_id=broker.id,
        property_id=prop.id,
        property_code=prop.code,
        status="proposed",
    )
    await _drop_open_offers(session, lead)
    return visit, broker


async def reply_in_chat(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    text: str,
    history: Sequence[Turn],
) -> VisitReply | None:
    """The answer when ``text`` is about the lead's pending offer or booked visit, else None."""
    if not text:
        return None
    now = deps.clock.now()
    visits = await visit_queries.of_lead(session, lead.tenant_id, lead.id)
    pending = next((v for v in visits if v.awaiting), None)
    if pending is not None:
        answered = await _about_offer(session, deps, pending, lead=lead, text=text, history=history)
        if answered is not None:
            return answered
    booked = next(
        (v for v in visits if v.status in visit_queries.ACTIVE and v.starts_at > now), None
    )
    if booked is None:
        return None
    return await _about_booking(session, deps, booked, lead=lead, text=text)


async def _about_offer(
    session: AsyncSession,
    deps: PipelineDeps,
    visit: Visit,
    *,
    lead: Lead,
    text: str,
    history: Sequence[Turn],
) -> VisitReply | None:
    zone, now = await agency_zone(session, lead), deps.clock.now()
    act = visit_talk.act(text)
    if act == "cancel" and visit.status == "proposed":
        visit.status, visit.awaiting = "cancelled", None
        return VisitReply([visit_text.NOTHING_BOOKED], visit.id)
    if act in ("cancel", "cant_make_it"):
        return None  # about the booked visit: answered below
    if act == "reject":
        visit.awaiting, visit.offered = "preference", []
        return VisitReply([visit_text.ASK_PREFERENCE], visit.id)
    if visit.awaiting == "choice":
        offered = [datetime.fromisoformat(s).astimezone(zone) for s in visit.offered]
        picked = visit_talk.choice(
            text, offered, now=now.astimezone(zone), just_offered=_just_offered(history)
        )
        if picked is not None:
            return await book_slot(
                session, deps, visit, offered[picked], lead=lead, history=history
            )
    wanted = visit_talk.preference(text, now=now.astimezone(zone))
    asked_when = visit.awaiting == "preference" and visit_talk.agrees(text)
    if wanted is None and not asked_when:
        return None
    broker = await broker_of(session, visit)
    if visit.status in ("done", "no_show", "cancelled"):
        visit.awaiting = None
        visit = _again(visit)
    return await _offer(session, deps, visit=visit, lead=lead, text=text, broker=broker)


async def _about_booking(
    session: AsyncSession, deps: PipelineDeps, visit: Visit, *, lead: Lead, text: str
) -> VisitReply | None:
    act, now = visit_talk.act(text), deps.clock.now()
    if act is None or act == "reject":
        return None
    facts = await describe(session, visit, lead, now=now)
    if act == "cancel":
        visit.status, visit.awaiting = "cancelled", None
        await announce(session, visit=visit, lead=lead, kind="cancelled", now=now)
        return VisitReply([visit_text.cancelled(facts)], visit.id)
    broker = await broker_of(session, visit)
    if act == "cant_make_it":
        visit.status = "cancelled"
        await announce(session, visit=visit, lead=lead, kind="cancelled", now=now)
        again = await _offer(
            session, deps, visit=_again(visit), lead=lead, text=text, broker=broker
        )
        return VisitReply([visit_text.cant_make_it(facts), *again.messages], again.visit_id)
    return await _offer(session, deps, visit=visit, lead=lead, text=text, broker=broker)


def _just_offered(history: Sequence[Turn]) -> bool:
    """Whether the assistant's last message was an offer of slots."""
    last = next((t for t in reversed(history) if t.role in ("assistant", "broker")), None)
    return last is not None and last.role == "assistant" and visit_text.is_offer(last.content)


def _again(visit: Visit) -> Visit:
    """A new proposal for the same listing and broker."""
    return Visit(
        tenant_id=visit.tenant_id,
        lead_id=visit.lead_id,
        user_id=visit.user_id,
        property_id=visit.property_id,
        property_code=visit.property_code,
        status="proposed",
    )


async def _offer(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    visit: Visit,
    lead: Lead,
    text: str,
    broker: User | None,
) -> VisitReply:
    """Offer up to three of the broker's free slots that fit what ``text`` asks for."""
    held = await hold_offer(session, deps, visit=visit, lead=lead, text=text, broker=broker)
    if held is None or broker is None:
        return VisitReply([visit_text.NO_SLOTS], visit.id)
    moving = visit.status in visit_queries.ACTIVE
    text = visit_text.offer(
        visit.property_code, broker.name, held.labels, missed=held.missed, moving=moving
    )
    return VisitReply([text], visit.id)


@dataclass(frozen=True, slots=True)
class HeldOffer:
    """The slots just offered (labels in the agency's words) and the wish none of them fit."""

    labels: list[str]
    missed: str | None


async def hold_offer(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    visit: Visit,
    lead: Lead,
    text: str,
    broker: User | None,
) -> HeldOffer | None:
    """Store up to three free slots that fit ``text`` as the visit's offer; None: no slot."""
    now = deps.clock.now()
    zone = await agency_zone(session, lead)
    held = visit.starts_at if visit.status in visit_queries.ACTIVE else None
    free = [s.astimezone(zone) for s in await _free(session, visit, now) if s != held]
    if not free or broker is None:
        visit.awaiting = None
        return None
    local_now = now.astimezone(zone)
    wanted = visit_talk.preference(text, now=local_now)
    slots, missed = pick_offer(free, wanted)
    _, _, rules = await agency_rules(session, lead.tenant_id)
    if visit.status == "proposed":
        visit.starts_at, visit.ends_at = slots[0], slots[0] + rules.length
    visit.offered, visit.awaiting = [s.isoformat() for s in slots], "choice"
    if visit.id is None or visit not in session:
        session.add(visit)
    await session.flush()
    labels = [visit_talk.slot_label(s, now=local_now) for s in slots]
    missed_label = visit_talk.wanted_label(wanted, now=local_now) if missed and wanted else None
    return HeldOffer(labels, missed_label)


def pick_offer(free: Sequence[datetime], wanted: Preference | None) -> tuple[list[datetime], bool]:
    """Up to three slots: those that fit ``wanted``, else the nearest (``missed`` = True)."""
    if wanted is None:
        return _spread(free), False
    exact = [s for s in free if wanted.matches(s)]
    if exact:
        return exact[:OFFERED], False
    if wanted.at is not None:
        looser = replace(wanted, at=None)
        near = [s for s in free if looser.matches(s)]
        if near:
            target = wanted.at.hour * 60 + wanted.at.minute
            near.sort(key=lambda s: abs(s.hour * 60 + s.minute - target))
            return sorted(near[:OFFERED]), True
    after = [s for s in free if wanted.day is None or s.date() >= wanted.day]
    return _spread(after or list(free)), True


def _spread(free: Sequence[datetime]) -> list[datetime]:
    """The first slot of each half-day, so the lead sees different days and periods."""
    picked: list[datetime] = []
    seen: set[tuple[object, bool]] = set()
    for slot in free:
        key = (slot.date(), slot.hour < 12)
        if key not in seen:
            seen.add(key)
            picked.append(slot)
        if len(picked) == OFFERED:
            break
    return picked


async def book_slot(
    session: AsyncSession,
    deps: PipelineDeps,
    visit: Visit,
    slot: datetime,
    *,
    lead: Lead,
    history: Sequence[Turn],
) -> VisitReply:
    """Hold ``slot``; when another lead took it a moment ago, offer the next free one."""
    now = deps.clock.now()
    _, _, rules = await agency_rules(session, lead.tenant_id)
    moving = visit.status != "proposed"
    try:
        async with session.begin_nested():
            visit.starts_at, visit.ends_at = slot, slot + rules.length
            visit.status = visit.status if moving else "scheduled"
            visit.offered, visit.awaiting, visit.booked_at = [], None, now
            await session.flush()
    except IntegrityError:
        await session.refresh(visit)
        return await _taken(session, deps, visit, slot, lead=lead)
    facts = await describe(session, visit, lead, now=now)
    if not moving and lead.stage not in ("handed_off", "won", "lost"):
        await _hand_over(session, deps, visit, lead=lead, history=history)
    await announce(session, visit=visit, lead=lead, kind="moved" if moving else "booked", now=now)
    settings, _, _ = await agency_rules(session, lead.tenant_id)
    bring = str(settings.get("visit_bring") or visit_text.DEFAULT_BRING)
    # The broker and the building's front desk need the visitor's name.
    ask_name = not (lead.name or (lead.custom_data or {}).get("name"))
    text = visit_text.confirmed(facts, bring=bring, moved=moving, ask_name=ask_name)
    return VisitReply([text], visit.id, "name" if ask_name else None)


async def _taken(
    session: AsyncSession, deps: PipelineDeps, visit: Visit, slot: datetime, *, lead: Lead
) -> VisitReply:
    zone = await agency_zone(session, lead)
    free = [s for s in await _free(session, visit, deps.clock.now()) if s > slot]
    if not free:
        visit.awaiting = None
        return VisitReply([visit_text.NO_SLOTS], visit.id)
    following = free[0].astimezone(zone)
    visit.offered, visit.awaiting = [following.isoformat()], "choice"
    label = visit_talk.slot_label(following, now=deps.clock.now().astimezone(zone))
    return VisitReply([visit_text.taken(label)], visit.id)


async def _hand_over(
    session: AsyncSession, deps: PipelineDeps, visit: Visit, *, lead: Lead, history: Sequence[Turn]
) -> None:
    lead.temperature = "hot"
    broker = await broker_of(session, visit)
    handoff, _ = await hand_off(
        session,
        deps,
        lead=lead,
        reason="hot",
        history=history,
        property_codes=[visit.property_code],
        broker=broker,
    )
    visit.handoff_id = handoff.id


async def _free(session: AsyncSession, visit: Visit, now: datetime) -> list[datetime]:
    if visit.user_id is None:
        return []
    ignore = visit.id if visit.status in visit_queries.ACTIVE else None
    return await free_slots(
        session, tenant_id=visit.tenant_id, user_id=visit.user_id, now=now, ignore=ignore
    )


async def _listing_in_focus(
    session: AsyncSession, lead: Lead, text: str, history: Sequence[Turn]
) -> Property | None:
    """The listing named in the message, else the last card the lead was sent."""
    for code in [*listing_codes(text), *reversed(shown_codes(history))]:
        found = await property_queries.available_by_code(session, lead.tenant_id, code)
        if found is not None:
            return found
    return None


async def _responsible_broker(
    session: AsyncSession, lead: Lead, prop: Property, now: datetime
) -> User | None:
    """The lead's broker when assigned, else whom the routing rules give the listing to."""
    if lead.assigned_user_id is not None:
        assigned = await user_queries.get(session, lead.tenant_id, lead.assigned_user_id)
        if assigned is not None and assigned.active and assigned.role == "broker":
            return assigned
    return await routing.pick(
        session,
        tenant_id=lead.tenant_id,
        profile=lead.custom_data or {},
        property_codes=[prop.code],
        now=now,
    )


async def broker_of(session: AsyncSession, visit: Visit) -> User | None:
    if visit.user_id is None:
        return None
    return await user_queries.get(session, visit.tenant_id, visit.user_id)


async def _drop_open_offers(session: AsyncSession, lead: Lead) -> None:
    for old in await visit_queries.of_lead(session, lead.tenant_id, lead.id):
        if old.awaiting and old.status == "proposed":
            old.status, old.awaiting = "cancelled", None
        elif old.awaiting:
            old.awaiting = None


async def agency_zone(session: AsyncSession, lead: Lead) -> ZoneInfo:
    _, hours, _ = await agency_rules(session, lead.tenant_id)
    return hours.zone
