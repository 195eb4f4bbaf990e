"""LGPD: export everything Vellarys holds about a lead, and erase it.

Erasure deletes the messages (their text, media metadata and raw provider payloads) and the
notes, and anonymizes what must stay for the agency's numbers (the lead row, its handoffs):
no name, phone, profile or summary remains. The audit entry that records the erasure stays.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import (
    AuditEntry,
    Handoff,
    Lead,
    LeadNote,
    Message,
    Notification,
    PlannedMessage,
)
from vellarys.domain.clock import SystemClock
from vellarys.domain.ports import Clock
from vellarys.services import audit
from vellarys.services.leads import get_lead

LEAD_FIELDS = (
    "id",
    "phone",
    "name",
    "stage",
    "temperature",
    "score",
    "summary",
    "summary_updated_at",
    "assigned_user_id",
    "channel_id",
    "ai_paused",
    "opted_out",
    "opted_out_at",
    "last_message_at",
    "last_inbound_at",
    "created_at",
    "updated_at",
    "erased_at",
)
MESSAGE_FIELDS = (
    "id",
    "role",
    "direction",
    "type",
    "content",
    "media",
    "status",
    "error",
    "user_id",
    "raw_payload",
    "provider_timestamp",
    "created_at",
    "sent_at",
    "delivered_at",
    "read_at",
)
HANDOFF_FIELDS = (
    "id",
    "reason",
    "status",
    "summary",
    "profile",
    "property_ids",
    "user_id",
    "created_at",
    "released_at",
    "notified_at",
)
NOTE_FIELDS = ("id", "body", "user_id", "created_at")
AUDIT_FIELDS = ("id", "action", "user_id", "details", "created_at")
_CLOCK = SystemClock()


@dataclass(frozen=True, slots=True)
class Erasure:
    lead_id: uuid.UUID
    erased_at: datetime
    already_erased: bool
    messages_deleted: int
    notes_deleted: int
    handoffs_anonymized: int


def _json(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _fields(row: object, names: tuple[str, ...]) -> dict[str, object]:
    return {name: _json(getattr(row, name)) for name in names}


async def export_lead(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    clock: Clock = _CLOCK,
) -> dict[str, Any]:
    """Everything about the lead as JSON-ready data: the lead, its profile, messages,
    handoffs, notes and the audit entries about it (this export's included).

    ``NotFound`` for another tenant's lead. The export is recorded as ``exported``.
    """
    lead = await get_lead(session, tenant_id=tenant_id, lead_id=lead_id)
    await audit.record(
        session,
        tenant_id=tenant_id,
        user_id=user_id,
        action=audit.EXPORTED,
        target_type=audit.LEAD,
        target_id=lead.id,
        api_key_id=api_key_id,
    )
    messages = await _all(session, Message, lead, Message.created_at)
    handoffs = await _all(session, Handoff, lead, Handoff.created_at)
    notes = await _all(session, LeadNote, lead, LeadNote.created_at)
    entries = await audit.entries_about(
        session, tenant_id=tenant_id, target_type=audit.LEAD, target_id=lead.id
    )
    return {
        "exported_at": clock.now().isoformat(),
        "lead": _fields(lead, LEAD_FIELDS),
        "profile": dict(lead.custom_data or {}),
        "messages": [_fields(m, MESSAGE_FIELDS) for m in messages],
        "handoffs": [_fields(h, HANDOFF_FIELDS) for h in handoffs],
        "notes": [_fields(n, NOTE_FIELDS) for n in notes],
        "audit": [_fields(e, AUDIT_FIELDS) for e in entries],
    }


async def _all(session: AsyncSession, model: Any, lead: Lead, order: Any) -> list[Any]:
    found = await session.execute(
        select(model)
        .where(model.tenant_id == lead.tenant_id, model.lead_id == lead.id)
        .order_by(order, model.id)
    )
    return list(found.scalars())


async def erase_lead(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    clock: Clock = _CLOCK,
) -> Erasure:
    """Delete the lead's messages and notes, anonymize the lead and its handoffs, and record
    it as ``erased``. Idempotent: erasing an erased lead changes and records nothing.

    The lead stays opted out, so nothing is sent to it again; if the person writes again,
    their phone no longer matches and they start as a new lead.
    """
    lead = await get_lead(session, tenant_id=tenant_id, lead_id=lead_id)
    if lead.erased_at is not None:
        return Erasure(lead.id, lead.erased_at, True, 0, 0, 0)
    now = clock.now()
    messages = await _delete(session, Message, lead)
    notes = await _delete(session, LeadNote, lead)
    for copies in (PlannedMessage, Notification):  # nudge texts and alerts name the lead
        await _delete(session, copies, lead)
    handoffs = await _all(session, Handoff, lead, Handoff.created_at)
    for handoff in handoffs:
        handoff.summary, handoff.profile, handoff.notify_error = None, {}, None
    _anonymize(lead, now)
    await session.flush()
    await audit.record(
        session,
        tenant_id=tenant_id,
        user_id=user_id,
        action=audit.ERASED,
        target_type=audit.LEAD,
        target_id=lead.id,
        api_key_id=api_key_id,
        details={"messages_deleted": messages, "notes_deleted": notes},
    )
    return Erasure(lead.id, now, False, messages, notes, len(handoffs))


async def _delete(session: AsyncSession, model: Any, lead: Lead) -> int:
    result = await session.execute(
        delete(model)
        .where(model.tenant_id == lead.tenant_id, model.lead_id == lead.id)
        .returning(model.id)
    )
    return len(result.all())


def _anonymize(lead: Lead, now: datetime) -> None:
    # 32 characters fit the phone column and keep (phone, tenant) unique.
    lead.phone = f"erased:{lead.id.hex[:25]}"
    lead.name, lead.summary, lead.custom_data = None, None, {}
    lead.opted_out, lead.ai_paused = True, True
    lead.opted_out_at = lead.opted_out_at or now
    lead.erased_at = now


async def audit_trail(
    session: AsyncSession, *, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> list[AuditEntry]:
    """Who viewed, exported, erased or took over the lead, oldest first."""
    return await audit.entries_about(
        session, tenant_id=tenant_id, target_type=audit.LEAD, target_id=lead_id
    )
