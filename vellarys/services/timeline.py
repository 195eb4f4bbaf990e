"""A lead's timeline: every stage change, assignment, handoff, note and opportunity event,
with who did it, read from the audit log (each act records itself there)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import AuditEntry
from vellarys.db.queries import audit as audit_queries
from vellarys.db.queries import dashboard as dashboard_queries
from vellarys.domain import glossary
from vellarys.domain.glossary import AuditAction
from vellarys.services.audit import LEAD, Actor
from vellarys.services.lead_acts import find_lead

# Reads are audited for LGPD but are not events in the lead's story.
HIDDEN = frozenset({AuditAction.LEAD_VIEWED, AuditAction.LEADS_EXPORTED})


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    action: str
    label: str
    who: str
    text: str


async def lead_timeline(session: AsyncSession, actor: Actor, *, lead_id: uuid.UUID) -> list[Event]:
    """The lead's events, newest first."""
    lead = await find_lead(session, actor, lead_id)
    entries = await audit_queries.for_target(session, actor.tenant_id, LEAD, str(lead.id))
    staff = await dashboard_queries.staff(session, actor.tenant_id, active_only=False)
    names = {u.id: u.name for u in staff}
    notes = {
        str(n.id): n.body
        for n, _ in await dashboard_queries.notes(session, actor.tenant_id, lead.id)
    }
    events = [_event(e, names, notes) for e in entries if e.action not in HIDDEN]
    return list(reversed(events))


def _event(entry: AuditEntry, names: Mapping[uuid.UUID, str], notes: Mapping[str, str]) -> Event:
    details = entry.details or {}
    return Event(
        at=entry.created_at,
        action=entry.action,
        label=glossary.label(glossary.AUDIT_ACTION_LABELS, entry.action),
        who=_who(entry, names),
        text=_text(entry.action, details, names, notes),
    )


def _who(entry: AuditEntry, names: Mapping[uuid.UUID, str]) -> str:
    if entry.user_id is not None:
        return names.get(entry.user_id, "Usuário removido")
    if (entry.details or {}).get("api_key_id"):
        return "API"
    return "Assistente"


def _user(value: Any, names: Mapping[uuid.UUID, str]) -> str:
    try:
        return names.get(uuid.UUID(str(value)), "—") if value else "ninguém (fila)"
    except ValueError:
        return "—"


def _text(
    action: str,
    details: Mapping[str, Any],
    names: Mapping[uuid.UUID, str],
    notes: Mapping[str, str],
) -> str:
    if action == AuditAction.LEAD_STAGE_CHANGED:
        moved = f"{_stage(details.get('from'))} → {_stage(details.get('to'))}"
        reason = details.get("loss_reason")
        return f"{moved} ({reason})" if reason else moved
    if action in (AuditAction.LEAD_ASSIGNED, AuditAction.LEAD_HANDED_OFF):
        why = glossary.HANDOFF_REASON_LABELS.get(str(details.get("reason")), "")
        return " · ".join(p for p in (_user(details.get("user_id"), names), why) if p)
    if action == AuditAction.LEAD_NOTE_ADDED:
        return notes.get(str(details.get("note_id")), "(anotação apagada)")
    if action in (AuditAction.OPPORTUNITY_OPENED, AuditAction.OPPORTUNITY_CHANGED):
        return _opportunity(details)
    if action == AuditAction.LEAD_EDITED:
        fields = [glossary.PROFILE_LABELS.get(f, f) for f in details.get("fields") or []]
        return ", ".join(fields)
    return ""


def _stage(value: Any) -> str:
    return glossary.label(glossary.STAGE_LABELS, None if value is None else str(value))


def _opportunity(details: Mapping[str, Any]) -> str:
    parts = [str(details["code"])] if details.get("code") else []
    if details.get("stage"):
        parts.append(glossary.label(glossary.OPPORTUNITY_STAGE_LABELS, str(details["stage"])))
    for key, name in (("value", "valor"), ("commission", "comissão")):
        if details.get(key):
            parts.append(f"{name} R$ {details[key]}")
    if details.get("expected_close"):
        parts.append(f"fechamento previsto {details['expected_close']}")
    if details.get("loss_reason"):
        parts.append(str(details["loss_reason"]))
    return " · ".join(parts)
