"""What is said about a visit outside the lead's own turn: the broker's notices (WhatsApp and
the in-app alert), the reminders the day before and 2 h before, and the no-show message.

Each is a row of ``visit_reminders`` claimed before it is sent (unique per visit, kind and
visit time), so any number of workers send each once; a moved visit gets its reminders again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, Lead, Tenant, Visit
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import notification as notification_queries
from vellarys.db.queries import property as property_queries
from vellarys.db.queries import user as user_queries
from vellarys.db.queries import visit as visit_queries
from vellarys.domain import business_hours, visit_text
from vellarys.domain.nudge import window_open
from vellarys.domain.template import WhatsAppTemplate, fill, pick, stored_templates
from vellarys.domain.visit_ics import ics_token
from vellarys.domain.visit_talk import slot_label
from vellarys.services import push
from vellarys.services.handoff import notify_at
from vellarys.services.outbound import queue_outbound

DAY_BEFORE, SOON = timedelta(hours=24), timedelta(hours=2)
NO_TEMPLATE = "fora da janela de 24 h e sem modelo aprovado para este uso"


async def describe(
    session: AsyncSession, visit: Visit, lead: Lead, *, now: datetime
) -> visit_text.VisitFacts:
    """The visit as texts name it, its time in the agency's zone."""
    tenant = await session.get(Tenant, visit.tenant_id)
    zone = business_hours.from_settings(tenant.settings if tenant else {}).zone
    prop = None
    if visit.property_id is not None:
        prop = await property_queries.get(session, visit.tenant_id, visit.property_id)
    broker = None
    if visit.user_id is not None:
        broker = await user_queries.get(session, visit.tenant_id, visit.user_id)
    place = ", ".join(p for p in (prop.address, prop.neighborhood, prop.city) if p) if prop else ""
    return visit_text.VisitFacts(
        code=visit.property_code,
        title=prop.title if prop else visit.property_code,
        address=place or "endereço a confirmar com o corretor",
        when=slot_label(visit.starts_at.astimezone(zone), now=now.astimezone(zone)),
        broker=broker.name if broker else "a equipe",
        lead=lead.name or lead.phone,
        phone=lead.phone,
    )


async def announce(
    session: AsyncSession, *, visit: Visit, lead: Lead, kind: str, now: datetime
) -> None:
    """Tell the visit's broker: an in-app alert now, and WhatsApp (in business hours, unless
    the agency wants hot leads at any hour)."""
    claimed = await visit_queries.claim_reminder(session, visit.tenant_id, visit=visit, kind=kind)
    if claimed is None or visit.user_id is None:
        return
    facts = await describe(session, visit, lead, now=now)
    alert = await notification_queries.record(
        session,
        visit.tenant_id,
        user_id=visit.user_id,
        lead_id=lead.id,
        kind="visit",
        ref=str(claimed.id),
        text=visit_text.in_app(kind, facts),
    )
    run_at = await notify_at(session, lead=lead, reason="hot", now=now)
    await push.announce(session, notification_id=alert, run_at=run_at)
    await queue.defer_notify_visit(session, reminder_id=claimed.id, run_at=run_at)


async def send_reminders(session: AsyncSession, *, tenant: Tenant, now: datetime) -> int:
    """Claim and send every reminder due at ``now``: lead and broker, the day before and 2 h
    before. A reminder whose moment had passed when the visit was booked is never sent."""
    sent = 0
    for visit in await visit_queries.upcoming(
        session, tenant.id, since=now, until=now + DAY_BEFORE
    ):
        for kind in _due_kinds(visit, now):
            claimed = await visit_queries.claim_reminder(session, tenant.id, visit=visit, kind=kind)
            if claimed is None:
                continue
            sent += 1
            if kind.startswith("broker"):
                await queue.defer_notify_visit(session, reminder_id=claimed.id)
                continue
            lead = await lead_queries.get(session, tenant.id, visit.lead_id)
            if lead is not None:
                facts = await describe(session, visit, lead, now=now)
                text = visit_text.lead_reminder(facts, name=lead.name, soon=kind == "lead_2h")
                claimed.status, claimed.error = await _to_lead(session, lead, text, kind, now)
    return sent


def _due_kinds(visit: Visit, now: datetime) -> list[str]:
    soon, day = visit.starts_at - SOON, visit.starts_at - DAY_BEFORE
    booked = visit.booked_at or visit.created_at
    if soon <= now and soon > booked:
        return ["lead_2h", "broker_2h"]
    if day <= now < soon and day > booked:
        return ["lead_day", "broker_day"]
    return []


async def send_no_show(session: AsyncSession, *, visit: Visit, lead: Lead, now: datetime) -> bool:
    """One polite message to a lead who missed the visit, offering another day."""
    claimed = await visit_queries.claim_reminder(
        session, visit.tenant_id, visit=visit, kind="no_show"
    )
    if claimed is None:
        return False
    facts = await describe(session, visit, lead, now=now)
    claimed.status, claimed.error = await _to_lead(
        session, lead, visit_text.no_show(facts, name=lead.name), "no_show", now
    )
    if claimed.status == "sent":
        visit.awaiting = "preference"
    return claimed.status == "sent"


async def _to_lead(
    session: AsyncSession, lead: Lead, text: str, kind: str, now: datetime
) -> tuple[str, str | None]:
    """Queue ``text`` to the lead: free text inside WhatsApp's window, else the channel's
    ``visit_reminder`` template, else nothing."""
    if lead.opted_out or lead.channel_id is None:
        return "skipped", "lead sem canal ou descadastrado"
    channel = await channel_queries.get(session, lead.tenant_id, lead.channel_id)
    if channel is None:
        return "skipped", "canal removido"
    media: dict[str, object] = {"visit_message": kind}
    if not window_open(channel.provider, lead.last_inbound_at, now):
        template = pick(stored_templates(channel.templates), "visit_reminder")
        if template is None:
            return "skipped", NO_TEMPLATE
        values = fill(template, {"lead_name": visit_text.first_name(lead.name), "text": text})
        media["template"] = {**template.as_dict(), "values": values}
    await queue_outbound(session, lead=lead, texts=[text], role="system", media=media)
    return "sent", None


@dataclass(frozen=True, slots=True)
class BrokerMessage:
    reminder_id: uuid.UUID
    channel: Channel
    to: str
    text: str
    template: WhatsAppTemplate | None = None
    values: tuple[str, ...] = ()


async def prepare_broker_message(
    session: AsyncSession, *, reminder_id: uuid.UUID, base_url: str, secret: str, now: datetime
) -> BrokerMessage | None:
    """The broker's WhatsApp about a visit, through the lead's channel; outside the broker's
    24-hour window only as the ``broker_notice`` template. None when it cannot go."""
    found = await visit_queries.reminder(session, reminder_id)
    if found is None or found[0].status is not None:
        return None
    row, visit = found
    lead = await lead_queries.get(session, visit.tenant_id, visit.lead_id)
    broker = (
        await user_queries.get(session, visit.tenant_id, visit.user_id) if visit.user_id else None
    )
    channel = None
    if lead is not None and lead.channel_id is not None:
        channel = await channel_queries.get(session, visit.tenant_id, lead.channel_id)
    if lead is None or broker is None or not broker.phone or channel is None:
        row.status, row.error = "skipped", "corretor sem telefone ou lead sem canal"
        return None
    if channel.provider == "simulator":
        row.status = "skipped"
        return None
    facts = await describe(session, visit, lead, now=now)
    ics = f"{base_url}/visits/{visit.id}.ics?t={ics_token(secret, visit.id)}"
    text = visit_text.broker_notice(
        row.kind, facts, ics_url=ics, lead_url=f"{base_url}/leads/{lead.id}"
    )
    message = BrokerMessage(row.id, channel, broker.phone, text)
    own = await lead_queries.last_inbound_of_phone(session, visit.tenant_id, broker.phone)
    if window_open(channel.provider, own, now):
        return message
    template = pick(stored_templates(channel.templates), "broker_notice")
    if template is None:
        row.status, row.error = "skipped", NO_TEMPLATE
        return None
    values = fill(
        template,
        {
            "lead_name": facts.lead,
            "lead_phone": lead.phone,
            "summary": text,
            "link": ics,
            "text": text,
        },
    )
    return BrokerMessage(row.id, channel, broker.phone, text, template, tuple(values))


async def record_broker_message(
    session: AsyncSession, *, reminder_id: uuid.UUID, error: str | None, final: bool = True
) -> None:
    """How the broker's message went; a failure to be tried again keeps the error but leaves
    the reminder unsettled, so the next attempt sends it."""
    found = await visit_queries.reminder(session, reminder_id)
    if found is None:
        return
    if error is not None and not final:
        found[0].error = error
        return
    found[0].status, found[0].error = ("failed", error) if error else ("sent", None)
