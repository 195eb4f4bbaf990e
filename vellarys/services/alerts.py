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

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, Handoff, Lead, Message, Notification, Tenant, User
from vellarys.db.queries import channel as channel_queries
from vellarys.domain import business_hours, nudge
from vellarys.domain.nudge import window_open
from vellarys.domain.template import WhatsAppTemplate, fill, pick, stored_templates

LOOKBACK = timedelta(days=1)
LABELS = {
    "new_lead": "Novo lead",
    "hot_lead": "Lead quente",
    "after_hours_lead": "Lead fora do horário",
    "handoff_untaken": "Repasse sem corretor",
}


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: str
    lead: Lead
    ref: str
    text: str


async def raise_alerts(session: AsyncSession, *, tenant: Tenant, now: datetime) -> int:
    """Record every alert due for ``tenant`` at ``now``; returns how many were new."""
    admins = await _admins(session, tenant.id)
    if not admins:
        return 0
    raised = 0
    for trigger in await triggers(session, tenant=tenant, now=now):
        for admin in admins:
            created = await _record(session, tenant.id, admin, trigger)
            if created is None:
                continue
            raised += 1
            if trigger.kind in (admin.whatsapp_alerts or ()) and admin.phone:
                await queue.defer_notify_manager(session, notification_id=created)
    return raised


async def triggers(session: AsyncSession, *, tenant: Tenant, now: datetime) -> list[Trigger]:
    settings = tenant.settings or {}
    hours = business_hours.from_settings(settings)
    found: list[Trigger] = []
    for lead in await _recent_leads(session, tenant.id, now - LOOKBACK):
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
    for handoff, lead in await _untaken(session, tenant.id, now - LOOKBACK):
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


async def _admins(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    found = await session.execute(
        select(User).where(User.tenant_id == tenant_id, User.role == "admin", User.active)
    )
    return list(found.scalars())


async def _recent_leads(session: AsyncSession, tenant_id: uuid.UUID, since: datetime) -> list[Lead]:
    found = await session.execute(
        select(Lead).where(
            Lead.tenant_id == tenant_id,
            Lead.erased_at.is_(None),
            Lead.updated_at >= since,
        )
    )
    return list(found.scalars())


async def _untaken(
    session: AsyncSession, tenant_id: uuid.UUID, since: datetime
) -> Sequence[tuple[Handoff, Lead]]:
    """Open handoffs of the last day that no broker has answered yet."""
    answered = (
        select(Message.id)
        .where(
            Message.tenant_id == tenant_id,
            Message.lead_id == Handoff.lead_id,
            Message.role == "broker",
            Message.created_at >= Handoff.created_at,
        )
        .exists()
    )
    found = await session.execute(
        select(Handoff, Lead)
        .join(Lead, Lead.id == Handoff.lead_id)
        .where(
            Handoff.tenant_id == tenant_id,
            Lead.tenant_id == tenant_id,
            Handoff.status == "open",
            Handoff.created_at >= since,
            ~answered,
        )
    )
    return [(handoff, lead) for handoff, lead in found.all()]


async def _record(
    session: AsyncSession, tenant_id: uuid.UUID, admin: User, trigger: Trigger
) -> uuid.UUID | None:
    statement = (
        insert(Notification)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            user_id=admin.id,
            lead_id=trigger.lead.id,
            kind=trigger.kind,
            ref=trigger.ref,
            text=trigger.text,
        )
        .on_conflict_do_nothing(constraint="uq_notifications_key")
        .returning(Notification.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


# --- the dashboard -------------------------------------------------------------------------


async def unread_count(session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    found = await session.execute(
        select(func.count()).where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
    )
    return int(found.scalar_one())


async def list_notifications(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, limit: int = 100
) -> list[Notification]:
    found = await session.execute(
        select(Notification)
        .where(Notification.tenant_id == tenant_id, Notification.user_id == user_id)
        .order_by(Notification.created_at.desc())
        .limit(limit)
    )
    return list(found.scalars())


async def mark_all_read(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )


async def set_whatsapp_alerts(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, kinds: Sequence[str]
) -> list[str]:
    """Which alerts also go to this user's WhatsApp; unknown kinds are ignored."""
    chosen = [kind for kind in LABELS if kind in kinds]
    await session.execute(
        update(User)
        .where(User.tenant_id == tenant_id, User.id == user_id)
        .values(whatsapp_alerts=chosen)
    )
    return chosen


async def whatsapp_alerts(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[str]:
    found = await session.execute(
        select(User.whatsapp_alerts).where(User.tenant_id == tenant_id, User.id == user_id)
    )
    return list(found.scalar_one_or_none() or [])


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
    own = await session.execute(
        select(Lead.last_inbound_at).where(
            Lead.tenant_id == note.tenant_id, Lead.phone == admin.phone
        )
    )
    if window_open(channel.provider, own.scalar_one_or_none(), now):
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
    session: AsyncSession, *, notification_id: uuid.UUID, error: str | None
) -> None:
    note = await session.get(Notification, notification_id)
    if note is not None:
        note.whatsapp_status = "failed" if error else "sent"
