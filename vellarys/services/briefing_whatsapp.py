"""The morning briefing on the managers' WhatsApp (when the agency turns it on in settings).

Claimed once per manager and day (a unique row), then sent by an outbound job through the
agency's first WhatsApp channel: free text inside the manager's 24-hour window on the Cloud
API (or on any gateway), else the channel's approved ``briefing`` template, else nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import BriefingMessage, Channel, Tenant
from vellarys.db.queries import briefing as queries
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import lead as lead_queries
from vellarys.domain.nudge import window_open
from vellarys.domain.template import WhatsAppTemplate, fill, pick, stored_templates

NO_CHANNEL = "a imobiliária não tem canal de WhatsApp ativo"
NO_TEMPLATE = "fora da janela de 24 h e sem modelo aprovado de resumo da manhã"


def wanted(settings: dict[str, object]) -> bool:
    return bool(settings.get("briefing_whatsapp", False))


async def queue_whatsapp(session: AsyncSession, tenant: Tenant, *, day: date, text: str) -> int:
    """Claim today's briefing for each manager with a phone and queue its send job."""
    queued = 0
    for manager in await queries.managers_with_phone(session, tenant.id):
        claimed = await queries.claim_whatsapp(session, tenant.id, user=manager, day=day, text=text)
        if claimed is not None:
            await queue.defer_send_briefing(session, message_id=claimed)
            queued += 1
    return queued


@dataclass(frozen=True, slots=True)
class BriefingWhatsApp:
    message_id: uuid.UUID
    channel: Channel
    to: str
    text: str
    template: WhatsAppTemplate | None = None
    values: tuple[str, ...] = ()


async def _channel(session: AsyncSession, tenant_id: uuid.UUID) -> Channel | None:
    channels = await channel_queries.for_tenant(session, tenant_id)
    return next((c for c in channels if c.active and c.provider != "simulator"), None)


async def prepare(
    session: AsyncSession, *, message_id: uuid.UUID, now: datetime
) -> BriefingWhatsApp | None:
    """What to send for a claimed briefing; None (and the reason recorded) when it cannot go."""
    row = await queries.whatsapp_message(session, message_id)
    if row is None or row.status != "pending":
        return None
    channel = await _channel(session, row.tenant_id)
    if channel is None:
        row.status, row.error = "skipped", NO_CHANNEL
        return None
    message = BriefingWhatsApp(row.id, channel, row.phone, row.text)
    own = await lead_queries.last_inbound_of_phone(session, row.tenant_id, row.phone)
    if window_open(channel.provider, own, now):
        return message
    template = pick(stored_templates(channel.templates), "briefing")
    if template is None:
        row.status, row.error = "no_template", NO_TEMPLATE
        return None
    tenant = await session.get(Tenant, row.tenant_id)
    values = fill(template, {"text": row.text, "agency": tenant.name if tenant else ""})
    return BriefingWhatsApp(row.id, channel, row.phone, row.text, template, tuple(values))


async def record(
    session: AsyncSession, *, message_id: uuid.UUID, error: str | None, now: datetime
) -> None:
    row = await queries.whatsapp_message(session, message_id)
    if row is None:
        return
    row.status, row.error = ("failed", error) if error else ("sent", None)
    row.sent_at = None if error else now


async def latest(session: AsyncSession, tenant_id: uuid.UUID) -> list[BriefingMessage]:
    """The agency's latest WhatsApp briefings (shown in the outbox)."""
    return await queries.whatsapp_messages(session, tenant_id, limit=50)
