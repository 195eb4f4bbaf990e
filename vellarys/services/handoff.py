"""hand_off: give a lead to a broker, record why and what they need, and pause the AI."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, Handoff, Lead, User
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import handoff as handoff_queries
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import notification as notification_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain import business_hours, nudge
from vellarys.domain.conversation import Turn
from vellarys.domain.glossary import AuditAction
from vellarys.domain.handoff import StaffOption, broker_notice, choose_staff
from vellarys.domain.nudge import window_open
from vellarys.domain.push import handoff_alert
from vellarys.domain.routing import takes_leads
from vellarys.domain.summary import summarize
from vellarys.domain.template import WhatsAppTemplate, fill, pick, stored_templates
from vellarys.domain.webhook import LEAD_HANDED_OFF
from vellarys.services import push, routing, webhooks
from vellarys.services.audit import Actor, record_act
from vellarys.services.deps import PipelineDeps


async def hand_off(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    reason: str,
    history: Sequence[Turn],
    property_codes: Sequence[str] = (),
    staff_name: str | None = None,
    route: str | None = None,
    broker: User | None = None,
    note: str | None = None,
) -> tuple[Handoff, User | None]:
    """Assign ``lead`` to a broker (``services.routing``), record the handoff, pause the AI.

    ``staff_name`` is a person the lead asked for; ``route`` a duty ("listings" for owners,
    "support" for current clients) that goes to whoever has it, else to an admin. ``note``
    (the LLM's line for the broker) leads the summary the broker reads.
    The broker is notified on WhatsApp by a job, so a provider failure never undoes this.
    ``broker`` is given when the lead is already someone's (the broker of a booked visit).
    """
    now = deps.clock.now()
    if broker is None:
        broker = await _chosen(
            session, lead, staff_name=staff_name, route=route, codes=property_codes, now=now
        )
    summary = summarize(lead.custom_data, history, name=lead.name)
    if note:
        summary = f"Nota da assistente: {note}\n{summary}"
    handoff = Handoff(
        id=uuid.uuid4(),
        tenant_id=lead.tenant_id,
        lead_id=lead.id,
        reason=reason,
        user_id=broker.id if broker else None,
        summary=summary,
        profile=dict(lead.custom_data),
        property_ids=list(property_codes),
        created_at=now,  # the clock's time: a broker's daily count is by the agency's day
    )
    session.add(handoff)
    if broker is not None:
        broker.last_assigned_at = now
        lead.assigned_user_id = broker.id
    lead.stage, lead.ai_paused = "handed_off", True
    lead.summary, lead.summary_updated_at = summary, now
    await session.flush()
    run_at = await notify_at(session, lead=lead, reason=reason, now=now)
    await queue.defer_notify_broker(session, handoff_id=handoff.id, run_at=run_at)
    await alert_broker(session, handoff=handoff, lead=lead, run_at=run_at)
    details = {"reason": reason, "user_id": str(broker.id) if broker else None}
    assistant = Actor(tenant_id=lead.tenant_id)
    await record_act(
        session, assistant, AuditAction.LEAD_HANDED_OFF, target_id=lead.id, details=details
    )
    data = {
        **webhooks.lead_data(lead),
        "handoff": {"id": str(handoff.id), "reason": reason, "summary": summary},
        "broker": {"id": str(broker.id), "name": broker.name} if broker else None,
    }
    await webhooks.emit(
        session, tenant_id=lead.tenant_id, event=LEAD_HANDED_OFF, data=data, now=now
    )
    return handoff, broker


async def _chosen(
    session: AsyncSession,
    lead: Lead,
    *,
    staff_name: str | None,
    route: str | None,
    codes: Sequence[str],
    now: datetime,
) -> User | None:
    if staff_name or route:
        today = (await routing.agency_day(session, lead.tenant_id, now)).date()
        staff = await user_queries.active_staff(session, lead.tenant_id)
        # Someone on vacation or unavailable gets nothing, even when asked for by name.
        staff = [u for u in staff if takes_leads(routing.candidate(u), today)]
        person = choose_staff([_staff(u) for u in staff], named=staff_name, route=route)
        found = next((u for u in staff if person and str(u.id) == person.key), None)
        if found is not None:
            return found
    return await routing.pick(
        session,
        tenant_id=lead.tenant_id,
        profile=lead.custom_data or {},
        property_codes=codes,
        now=now,
    )


def _staff(user: User) -> StaffOption:
    areas = user.areas or {}
    duties = frozenset(d for d in ("listings", "support") if areas.get(d) is True)
    return StaffOption(key=str(user.id), name=user.name, role=user.role, duties=duties)


async def notify_at(
    session: AsyncSession, *, lead: Lead, reason: str, now: datetime
) -> datetime | None:
    """When to tell the broker: now inside business hours, else at the next opening, unless the
    lead is hot and the agency wants hot leads at any hour. None means now."""
    tenant = await tenant_queries.get(session, lead.tenant_id)
    settings = tenant.settings if tenant is not None else {}
    hours = business_hours.from_settings(settings or {})
    if business_hours.is_open(hours, now):
        return None
    hot = reason == "hot" or lead.temperature == "hot"
    if hot and nudge.policy(settings or {}).notify_hot_any_hour:
        return None
    return business_hours.next_opening(hours, now)


async def notify_assignment(
    session: AsyncSession, *, lead: Lead, user_id: uuid.UUID, now: datetime
) -> Handoff:
    """A lead staff gave to a broker by hand: recorded as a manual handoff (the assistant
    keeps answering) and the broker is told on WhatsApp by the same job as any handoff."""
    handoff = Handoff(
        id=uuid.uuid4(),
        tenant_id=lead.tenant_id,
        lead_id=lead.id,
        reason="manual",
        user_id=user_id,
        summary=lead.summary or summarize(lead.custom_data, [], name=lead.name),
        profile=dict(lead.custom_data or {}),
        property_ids=[],
        created_at=now,
    )
    session.add(handoff)
    await session.flush()
    run_at = await notify_at(session, lead=lead, reason="manual", now=now)
    await queue.defer_notify_broker(session, handoff_id=handoff.id, run_at=run_at)
    await alert_broker(session, handoff=handoff, lead=lead, run_at=run_at)
    return handoff


async def alert_broker(
    session: AsyncSession, *, handoff: Handoff, lead: Lead, run_at: datetime | None
) -> None:
    """The broker's in-app alert for a lead handed to them, pushed to their devices (when
    they chose it) at the same time as the WhatsApp notice."""
    if handoff.user_id is None:
        return
    created = await notification_queries.record(
        session,
        lead.tenant_id,
        user_id=handoff.user_id,
        lead_id=lead.id,
        kind="handoff",
        ref=str(handoff.id),
        text=handoff_alert(lead.name, lead.phone, handoff.reason),
    )
    await push.announce(session, notification_id=created, run_at=run_at)


async def release(session: AsyncSession, deps: PipelineDeps, *, lead: Lead) -> None:
    """Give the conversation back to the assistant."""
    lead.ai_paused = False
    # The request was answered; keeping it would hand the lead straight back.
    lead.custom_data = {k: v for k, v in (lead.custom_data or {}).items() if k != "wants_human"}
    if lead.stage == "handed_off":
        lead.stage = "qualified"
    for handoff in await handoff_queries.open_of(session, lead):
        handoff.status, handoff.released_at = "released", deps.clock.now()


@dataclass(frozen=True, slots=True)
class BrokerNotification:
    handoff_id: uuid.UUID
    channel: Channel
    to: str
    text: str
    # Outside the broker's 24-hour window on the Cloud API: the approved template to send.
    template: WhatsAppTemplate | None = None
    values: tuple[str, ...] = ()


async def prepare_notification(
    session: AsyncSession,
    *,
    handoff_id: uuid.UUID,
    dashboard_url: str | None,
    now: datetime | None = None,
) -> BrokerNotification | None:
    """What to send the handoff's broker on WhatsApp; None when there is no one or no way."""
    handoff = await handoff_queries.by_id(session, handoff_id)
    if handoff is None or handoff.notified_at is not None or handoff.user_id is None:
        return None
    broker = await user_queries.get(session, handoff.tenant_id, handoff.user_id)
    lead = await lead_queries.get(session, handoff.tenant_id, handoff.lead_id)
    if broker is None or lead is None or lead.channel_id is None or not broker.phone:
        handoff.notify_error = "broker has no phone or lead has no channel"
        return None
    channel = await channel_queries.get(session, handoff.tenant_id, lead.channel_id)
    if channel is None:
        return None
    text = broker_notice(
        lead_name=lead.name,
        phone=lead.phone,
        reason=handoff.reason,
        summary=handoff.summary or "",
        codes=[str(c) for c in handoff.property_ids],
        dashboard_url=f"{dashboard_url}/leads/{lead.id}" if dashboard_url else None,
    )
    note = BrokerNotification(handoff_id=handoff.id, channel=channel, to=broker.phone, text=text)
    at = now or datetime.now(UTC)
    if await _window_open(session, channel, broker.phone, at):
        return note
    template = pick(stored_templates(channel.templates), "broker_notice")
    if template is None:
        handoff.notify_error = "fora da janela de 24 h do corretor e sem modelo aprovado"
        return None
    values = {
        "lead_name": lead.name or lead.phone,
        "lead_phone": lead.phone,
        "summary": handoff.summary or "",
        "link": f"{dashboard_url}/leads/{lead.id}" if dashboard_url else "",
        "text": text,
    }
    return replace(note, template=template, values=tuple(fill(template, values)))


async def _window_open(session: AsyncSession, channel: Channel, phone: str, now: datetime) -> bool:
    """The Cloud API takes free text to a broker only within 24 h of the broker's own message
    to the number (they write to it as any contact would)."""
    if window_open(channel.provider, None, now):
        return True
    last = await lead_queries.last_inbound_by_phone(session, channel.tenant_id, phone)
    return window_open(channel.provider, last, now)


async def record_notification(
    session: AsyncSession, deps: PipelineDeps, *, handoff_id: uuid.UUID, error: str | None
) -> None:
    handoff = await handoff_queries.by_id(session, handoff_id)
    if handoff is None:
        return
    if error is None:
        handoff.notified_at, handoff.notify_error = deps.clock.now(), None
    else:
        handoff.notify_error = error
