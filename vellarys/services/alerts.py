"""Manager alerts: the agency's admins hear about a new lead, a lead turning hot, a lead
arriving after hours and a handoff nobody took within N business minutes.

A periodic job looks at the last day's leads and open handoffs; each alert is a row unique per
(admin, kind, lead, ref), inserted with ON CONFLICT DO NOTHING, so it is raised once on any
number of workers. The WhatsApp copy is sent by a job for the admins who chose that kind.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, Lead, Notification, Tenant, User
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import handoff as handoff_queries
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import notification as notification_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain import business_hours, glossary, nudge
from vellarys.domain.nudge import window_open
from vellarys.domain.template import WhatsAppTemplate, fill, pick, stored_templates
from vellarys.services import push

LOOKBACK = timedelta(days=1)
# Alerts the lead's own broker gets too (the rest are the managers').
BROKER_KINDS = ("hot_lead", "handoff_untaken")
# Every alert's name on the list, including the ones raised elsewhere (handoffs, visits).
NAMES = {**glossary.ALERT_KIND_LABELS, "handoff": "Lead para você", "visit": "Visita"}


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: str
    lead: Lead
    ref: str
    text: str


async def raise_alerts(session: AsyncSession, *, tenant: Tenant, now: datetime) -> int:
    """Record every alert due for ``tenant`` at ``now``; returns how many were new."""
    admins = await user_queries.active_admins(session, tenant.id)
    if not admins:
        return 0
    raised = 0
    for trigger in await triggers(session, tenant=tenant, now=now):
        for admin in admins:
            created = await _record(session, tenant.id, admin, trigger)
            if created is None:
                continue
            raised += 1
            await push.announce(session, notification_id=created)
            if trigger.kind in (admin.whatsapp_alerts or ()) and admin.phone:
                await queue.defer_notify_manager(session, notification_id=created)
        raised += await _tell_broker(session, tenant.id, admins, trigger)
    return raised


async def _tell_broker(
    session: AsyncSession, tenant_id: uuid.UUID, admins: Sequence[User], trigger: Trigger
) -> int:
    """A hot lead or a handoff left waiting is also the lead's broker's business: an in-app
    alert (and a push, if they chose it), no WhatsApp copy."""
    broker_id = trigger.lead.assigned_user_id
    if trigger.kind not in BROKER_KINDS or broker_id is None:
        return 0
    if any(admin.id == broker_id for admin in admins):
        return 0
    broker = await user_queries.get(session, tenant_id, broker_id)
    if broker is None or not broker.active:
        return 0
    created = await _record(session, tenant_id, broker, trigger)
    if created is None:
        return 0
    await push.announce(session, notification_id=created)
    return 1


async def triggers(session: AsyncSession, *, tenant: Tenant, now: datetime) -> list[Trigger]:
    settings = tenant.settings or {}
    hours = business_hours.from_settings(settings)
    found: list[Trigger] = []
    for lead in await lead_queries.updated_since(session, tenant.id, now - LOOKBACK):
        who = f"*{lead.name or 'Sem nome'}* ({lead.phone})"
        if lead.created_at >= now - LOOKBACK:
            found.append(Trigger("new_lead", lead, "", f"🆕 Novo lead: {who}."))
            if not business_hours.is_open(hours, lead.created_at):
                found.append(
                    Trigger(
                        "after_hours_lead",
                        lead,
                        "",
                        (f"🌙 Lead chegou fora do horário: {who}. A assistente já está atendendo."),
                    )
                )
        if lead.temperature == "hot":
            interest = nudge.interest(lead.custom_data or {})
            found.append(Trigger("hot_lead", lead, "", f"🔥 Lead quente: {who} — {interest}."))
    minutes = nudge.policy(settings).handoff_alert_minutes
    for handoff, lead in await handoff_queries.untaken_since(session, tenant.id, now - LOOKBACK):
        due = business_hours.add_open_time(hours, handoff.created_at, timedelta(minutes=minutes))
        if due <= now and business_hours.is_open(hours, now):
            found.append(
                Trigger(
                    "handoff_untaken",
                    lead,
                    str(handoff.id),
                    (
                        f"⏰ Ninguém assumiu *{lead.name or lead.phone}* há mais de {minutes} min"
                        " de expediente. Abra o lead no painel para repassar."
                    ),
                )
            )
    return found


async def _record(
    session: AsyncSession, tenant_id: uuid.UUID, admin: User, trigger: Trigger
) -> uuid.UUID | None:
    return await notification_queries.record(
        session,
        tenant_id,
        user_id=admin.id,
        lead_id=trigger.lead.id,
        kind=trigger.kind,
        ref=trigger.ref,
        text=trigger.text,
    )


# --- the dashboard -------------------------------------------------------------------------


async def unread_count(session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return await notification_queries.unread_count(session, tenant_id, user_id)


async def list_notifications(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, limit: int = 100
) -> list[Notification]:
    return await notification_queries.latest(session, tenant_id, user_id, limit)


async def mark_all_read(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    await notification_queries.mark_all_read(session, tenant_id, user_id, now)


async def set_whatsapp_alerts(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, kinds: Sequence[str]
) -> list[str]:
    """Which alerts also go to this user's WhatsApp; unknown kinds are ignored."""
    chosen = [kind for kind in glossary.ALERT_KIND_LABELS if kind in kinds]
    await user_queries.set_whatsapp_alerts(session, tenant_id, user_id, chosen)
    return chosen


async def whatsapp_alerts(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[str]:
    return await user_queries.whatsapp_alerts(session, tenant_id, user_id)


# --- the WhatsApp copy ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ManagerMessage:
    notification_id: uuid.UUID
    channel: Channel
    to: str
    text: str
    template: WhatsAppTemplate | None = None
    values: tuple[str, ...] = ()


async def prepare_whatsapp(
    session: AsyncSession, *, notification_id: uuid.UUID, now: datetime
) -> ManagerMessage | None:
    """The admin's WhatsApp copy of an alert, through the lead's channel; outside the admin's
    24-hour window only as the ``manager_alert`` template. None when it cannot go."""
    note = await session.get(Notification, notification_id)
    if note is None or note.whatsapp_status is not None or note.lead_id is None:
        return None
    admin = await session.get(User, note.user_id)
    lead = await session.get(Lead, note.lead_id)
    channel = None
    if lead is not None and lead.channel_id is not None:
        channel = await channel_queries.get(session, note.tenant_id, lead.channel_id)
    if (
        admin is None
        or not admin.phone
        or lead is None
        or channel is None
        or channel.provider == "simulator"
    ):
        note.whatsapp_status = "skipped"
        return None
    message = ManagerMessage(note.id, channel, admin.phone, note.text)
    own = await lead_queries.last_inbound_of_phone(session, note.tenant_id, admin.phone)
    if window_open(channel.provider, own, now):
        return message
    template = pick(stored_templates(channel.templates), "manager_alert")
    if template is None:
        note.whatsapp_status = "no_template"
        return None
    values = fill(
        template,
        {
            "text": note.text,
            "lead_name": lead.name or "",
            "lead_phone": lead.phone,
        },
    )
    return ManagerMessage(note.id, channel, admin.phone, note.text, template, tuple(values))


async def record_whatsapp(
    session: AsyncSession, *, notification_id: uuid.UUID, error: str | None, final: bool = True
) -> None:
    """How the WhatsApp copy went; a failure to be tried again leaves it unsettled."""
    note = await session.get(Notification, notification_id)
    if note is not None and (error is None or final):
        note.whatsapp_status = "failed" if error else "sent"
