"""LGPD: export everything Vellarys holds about a lead, and erase it.

Erasure deletes the messages (their text, media metadata and raw provider payloads) and the
notes, and anonymizes what must stay for the agency's numbers (the lead row, its handoffs):
no name, phone, profile or summary remains. Audit details that quote the lead (a stored
search for their name) are scrubbed; the audit entry that records the erasure stays. The
phone and message ids are kept only as salted hashes, so a provider re-delivering an old
webhook of the lead is acknowledged and dropped instead of re-creating it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import (
    AuditEntry,
    Handoff,
    Lead,
    LeadNote,
    LlmTrace,
    Message,
    Notification,
    Opportunity,
    PlannedMessage,
)
from vellarys.db.queries import erasure as erasure_queries
from vellarys.db.queries import integration as integration_queries
from vellarys.db.queries import message as message_queries
from vellarys.domain import erasure
from vellarys.domain.clock import SystemClock
from vellarys.domain.ports import Clock
from vellarys.services import audit
from vellarys.services.leads import get_lead

AUDIT_FIELDS = ("id", "action", "user_id", "target_type", "target_id", "details", "created_at")
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


def _fields(row: object, names: tuple[str, ...] | None = None) -> dict[str, object]:
    """The named attributes, or every column of the row: an export leaves nothing out."""
    keys = names or tuple(c.key for c in inspect(type(row)).column_attrs)
    return {name: _json(getattr(row, name)) for name in keys}


async def export_lead(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    clock: Clock = _CLOCK,
) -> dict[str, Any]:
    """Everything about the lead as JSON-ready data: every column of the lead, its messages
    (raw provider payloads included), handoffs, notes, planned follow-ups, staff alerts and
    LLM traces;
    the audit entries about it (this export's included) and those whose details quote it
    (a search for its name).

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
    planned = await _all(session, PlannedMessage, lead, PlannedMessage.created_at)
    alerts = await _all(session, Notification, lead, Notification.created_at)
    traces = await _all(session, LlmTrace, lead, LlmTrace.created_at)
    deals = await _all(session, Opportunity, lead, Opportunity.created_at)
    entries = await _entries_about(session, lead)
    return {
        "exported_at": clock.now().isoformat(),
        "lead": _fields(lead),
        "profile": dict(lead.custom_data or {}),
        "messages": [_fields(m) for m in messages],
        "handoffs": [_fields(h) for h in handoffs],
        "notes": [_fields(n) for n in notes],
        "planned_messages": [_fields(p) for p in planned],
        "notifications": [_fields(n) for n in alerts],
        "llm_traces": [_fields(t) for t in traces],
        "opportunities": [_fields(o) for o in deals],
        "audit": [_fields(e, AUDIT_FIELDS) for e in entries],
    }


async def _entries_about(session: AsyncSession, lead: Lead) -> list[AuditEntry]:
    about = await audit.entries_about(
        session, tenant_id=lead.tenant_id, target_type=audit.LEAD, target_id=lead.id
    )
    quoting = await _quoting(session, lead)
    seen = {entry.id for entry in about}
    return about + [entry for entry in quoting if entry.id not in seen]


async def _quoting(session: AsyncSession, lead: Lead) -> list[AuditEntry]:
    """Audit entries (about anything) whose details quote the lead's name or phone."""
    found = erasure.needles(phone=lead.phone, name=lead.name)
    candidates = await erasure_queries.entries_mentioning(
        session, lead.tenant_id, erasure.search_terms(found)
    )
    return [entry for entry in candidates if erasure.scrub(entry.details, found)[1]]


async def _all(session: AsyncSession, model: Any, lead: Lead, order: Any) -> list[Any]:
    return await erasure_queries.rows_of_lead(session, lead.tenant_id, model, lead.id, order)


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
    await _forget_identifiers(session, lead, now)
    scrubbed = await _scrub_audit(session, lead)
    messages = await _delete(session, Message, lead)
    notes = await _delete(session, LeadNote, lead)
    # Nudge texts and alerts name the lead; LLM traces quote the conversation.
    for copies in (PlannedMessage, Notification, LlmTrace):
        await _delete(session, copies, lead)
    # Webhook bodies (sent or waiting) carry the lead's name, phone and messages.
    await integration_queries.delete_deliveries_about(session, lead.tenant_id, lead.id)
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
        details={
            "messages_deleted": messages,
            "notes_deleted": notes,
            "audit_entries_scrubbed": scrubbed,
        },
    )
    return Erasure(lead.id, now, False, messages, notes, len(handoffs))


async def _forget_identifiers(session: AsyncSession, lead: Lead, now: datetime) -> None:
    """Keep salted hashes of the phone and message ids, to drop re-delivered webhooks."""
    salt = await erasure_queries.salt_of(session, lead.tenant_id)
    external_ids = await message_queries.external_ids_of_lead(session, lead.tenant_id, lead.id)
    digests = [("phone", erasure.digest(salt, "phone", lead.phone))]
    digests += [("message", erasure.digest(salt, "message", str(x))) for x in external_ids]
    await erasure_queries.remember(session, lead.tenant_id, digests, now)


async def _scrub_audit(session: AsyncSession, lead: Lead) -> int:
    found = erasure.needles(phone=lead.phone, name=lead.name)
    scrubbed = 0
    terms = erasure.search_terms(found)
    for entry in await erasure_queries.entries_mentioning(session, lead.tenant_id, terms):
        details, changed = erasure.scrub(entry.details, found)
        if changed:
            entry.details = details
            scrubbed += 1
    return scrubbed


async def _delete(session: AsyncSession, model: Any, lead: Lead) -> int:
    return await erasure_queries.delete_of_lead(session, lead.tenant_id, model, lead.id)


def _anonymize(lead: Lead, now: datetime) -> None:
    # 32 characters fit the phone column and keep (phone, tenant) unique.
    lead.phone = f"erased:{lead.id.hex[:25]}"
    lead.name, lead.summary, lead.custom_data = None, None, {}
    lead.source_details = {}  # the portal's or form's e-mail and message, an ad's click id
    lead.tags, lead.listing_asks = [], {}  # staff's words about the person, and what they asked
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
