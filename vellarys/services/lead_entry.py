"""Leads typed by staff: edit one (name, profile, stage, tags), create one by hand, import
old ones from a CSV file (all or nothing, with a report per line, like listings).

Every value is checked before anything is written; each act is in the lead's timeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead
from vellarys.db.queries import lead_entry as queries
from vellarys.domain import lead_source
from vellarys.domain.glossary import AuditAction, Stage
from vellarys.domain.lead_form import (
    CSV_COLUMNS,
    InvalidLead,
    lead_name,
    lead_phone,
    lead_stage,
    profile_changes,
    read_lead_csv,
    tags_from_text,
)
from vellarys.domain.lead_source import MAX_CAMPAIGN
from vellarys.errors import Conflict
from vellarys.services import lead_acts, pipeline
from vellarys.services.audit import Actor, record_act

MAX_SOURCE_CHARS = 60


async def edit_lead(
    session: AsyncSession, actor: Actor, *, lead_id: uuid.UUID, fields: Mapping[str, str | None]
) -> Lead:
    """Change the given fields of a lead: ``name``, ``tags`` (comma separated), ``stage``
    (with ``loss_reason`` for lost) and any profile field (``domain.lead_form.EDITABLE``).
    ``InvalidLead`` (422) before any write when one is refused."""
    lead = await lead_acts.find_lead(session, actor, lead_id)
    profile = profile_changes(fields, lead.custom_data or {})
    name = lead_name(fields.get("name")) if "name" in fields else lead.name
    tags = tags_from_text(fields.get("tags")) if "tags" in fields else list(lead.tags or [])
    stage = lead_stage(fields.get("stage"))
    if stage == Stage.LOST and lead.stage != Stage.LOST:
        reasons = await pipeline.loss_reasons(session, actor.tenant_id)
        pipeline.checked_reason(fields.get("loss_reason"), reasons)
    changed = _apply(lead, name=name, tags=tags, profile=profile)
    await session.flush()
    if changed:
        details = {"fields": changed}
        await record_act(
            session, actor, AuditAction.LEAD_EDITED, target_id=lead.id, details=details
        )
    if stage and stage != lead.stage:
        await lead_acts.change_stage(
            session, actor, lead_id=lead.id, stage=stage, loss_reason=fields.get("loss_reason")
        )
    return lead


def _apply(lead: Lead, *, name: str | None, tags: list[str], profile: dict[str, Any]) -> list[str]:
    changed = []
    if name != lead.name:
        lead.name = name
        changed.append("name")
    if tags != list(lead.tags or []):
        lead.tags = tags
        changed.append("tags")
    data = dict(lead.custom_data or {})
    for key, value in profile.items():
        if data.get(key) != value:
            changed.append(key)
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
    if name:
        data["name"] = name
    lead.custom_data = data
    return changed


def _source(text: str | None) -> str | None:
    source = " ".join((text or "").split())
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidLead([f"A origem tem no máximo {MAX_SOURCE_CHARS} caracteres."])
    return source or None


async def create_lead(
    session: AsyncSession, actor: Actor, *, phone: str, name: str | None, source: str | None
) -> Lead:
    """A lead typed by staff (met at a fair, a phone call); ``Conflict`` when the agency
    already has one with that WhatsApp."""
    number, who, origin = lead_phone(phone), lead_name(name), _source(source)
    profile: dict[str, Any] = {"source": origin} if origin else {}
    if who:
        profile["name"] = who
    values = {"id": uuid.uuid4(), "tenant_id": actor.tenant_id, "phone": number, "name": who}
    # The origin staff typed ("plantão", "indicação") is the campaign of a manual lead.
    values |= {"source": lead_source.MANUAL, "campaign": origin[:MAX_CAMPAIGN] if origin else None}
    lead = await queries.insert_unless_phone_taken(session, {**values, "custom_data": profile})
    if lead is None:
        raise Conflict("Já existe um lead com esse WhatsApp.")
    details = {"source": origin} if origin else {}
    await record_act(session, actor, AuditAction.LEAD_CREATED, target_id=lead.id, details=details)
    return lead


@dataclass(frozen=True, slots=True)
class LeadRowError:
    line: int
    phone: str
    messages: list[str]


@dataclass
class LeadImportReport:
    created: int = 0
    updated: int = 0
    errors: list[LeadRowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class _Row:
    phone: str
    name: str | None
    stage: str | None
    tags: list[str]
    profile: dict[str, Any]


async def import_csv(session: AsyncSession, actor: Actor, *, content: bytes) -> LeadImportReport:
    """Create (or update, by WhatsApp) every lead of the file, or none when any row is bad:
    the report then lists each bad line and why."""
    rows, report = _checked(read_lead_csv(content))
    if not report.ok:
        return report
    existing = await queries.by_phones(session, actor.tenant_id, [r.phone for r in rows])
    for row in rows:
        lead = existing.get(row.phone)
        if lead is None:
            lead = Lead(id=uuid.uuid4(), tenant_id=actor.tenant_id, phone=row.phone)
            lead.source = lead_source.IMPORT
            origin = row.profile.get("source")
            lead.campaign = str(origin)[:MAX_CAMPAIGN] if origin else None
            session.add(lead)
            report.created += 1
        else:
            report.updated += 1
        _write_row(lead, row)
    await session.flush()
    details = {"created": report.created, "updated": report.updated}
    await record_act(session, actor, AuditAction.LEADS_IMPORTED, details=details)
    return report


def _write_row(lead: Lead, row: _Row) -> None:
    profile = {k: v for k, v in row.profile.items() if v is not None}
    lead.custom_data = {**(lead.custom_data or {}), **profile}
    lead.name = row.name or lead.name
    if row.stage:
        lead.stage = row.stage
    lead.tags = list(dict.fromkeys([*(lead.tags or []), *row.tags]))


def _checked(rows: Sequence[tuple[int, dict[str, str]]]) -> tuple[list[_Row], LeadImportReport]:
    report, checked, seen = LeadImportReport(), [], dict[str, int]()
    for line, cells in rows:
        messages = [f"Coluna desconhecida: {k[:40]}." for k in cells if k not in CSV_COLUMNS]
        phone = cells.get("phone", "").strip()
        key = _phone_key(phone)
        if key is not None and key in seen:
            messages.append(f"WhatsApp repetido (já na linha {seen[key]}).")
        if key is not None:
            seen.setdefault(key, line)
        try:
            checked.append(_row(cells))
        except InvalidLead as exc:
            messages = exc.errors + messages
        if messages:
            report.errors.append(LeadRowError(line=line, phone=phone[:32], messages=messages))
    return checked, report


def _phone_key(text: str) -> str | None:
    try:
        return lead_phone(text)
    except InvalidLead:
        return None


def _row(cells: Mapping[str, str]) -> _Row:
    """One CSV row checked whole: every problem of the row is reported at once."""
    errors: list[str] = []

    def checked(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except InvalidLead as exc:
            errors.extend(exc.errors)
            return None

    fields = {k: v for k, v in cells.items() if k not in ("name", "stage")}
    profile = checked(profile_changes, fields) or {}
    phone = checked(lead_phone, cells.get("phone"))
    name, source = checked(lead_name, cells.get("name")), checked(_source, cells.get("source"))
    stage, tags = (
        checked(lead_stage, cells.get("stage")),
        checked(tags_from_text, cells.get("tags")),
    )
    if errors:
        raise InvalidLead(errors)
    profile |= {k: v for k, v in (("source", source), ("name", name)) if v}
    return _Row(phone=phone, name=name, stage=stage, tags=tags or [], profile=profile)
