"""What staff do on the dashboard: read the overview, open a lead, take over, reply, assign.

Every function takes the signed-in ``Viewer``; a lead the viewer may not see is ``NotFound``,
the same as a lead that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import (
    AuditEntry,
    Handoff,
    KnowledgeDocument,
    Lead,
    LeadNote,
    Message,
    Property,
    User,
)
from vellarys.db.queries import dashboard as queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.errors import BadRequest, NotFound
from vellarys.services import handoff, leads
from vellarys.services.auth import Viewer
from vellarys.services.deps import PipelineDeps
from vellarys.services.outbound import queue_outbound

DEFAULT_TIMEZONE = "America/Sao_Paulo"
OVERVIEW_DAYS = 14
MAX_REPLY_CHARS = 4000
MAX_NOTE_CHARS = 5000


def scope_of(viewer: Viewer) -> queries.Scope:
    return queries.Scope(tenant_id=viewer.tenant_id, user_id=viewer.user_id, admin=viewer.is_admin)


def visible_to(viewer: Viewer) -> uuid.UUID | None:
    """The ``visible_to`` argument of ``services.leads``: brokers are limited, admins are not."""
    return None if viewer.is_admin else viewer.user_id


async def agency_timezone(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    tenant = await tenant_queries.get(session, tenant_id)
    configured = (tenant.settings or {}).get("timezone") if tenant else None
    return str(configured or DEFAULT_TIMEZONE)


async def overview(session: AsyncSession, viewer: Viewer, *, today: date) -> queries.OverviewCounts:
    tz = await agency_timezone(session, viewer.tenant_id)
    return await queries.overview(session, scope_of(viewer), tz=tz, today=today, days=OVERVIEW_DAYS)


async def record_audit(
    session: AsyncSession,
    viewer: Viewer,
    *,
    action: str,
    target_type: str,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            tenant_id=viewer.tenant_id,
            user_id=viewer.user_id,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            details=details or {},
        )
    )
    await session.flush()


async def open_lead(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> Lead:
    """The lead if the viewer may see it, else ``NotFound``."""
    lead = await queries.visible_lead(session, scope_of(viewer), lead_id)
    if lead is None:
        raise NotFound("Lead não encontrado.")
    return lead


@dataclass(frozen=True, slots=True)
class LeadView:
    lead: Lead
    messages: list[Message]
    handoffs: list[tuple[Handoff, str | None]]
    notes: list[tuple[LeadNote, str | None]]
    properties: list[Property]
    staff: list[User]
    assignee: User | None


async def lead_view(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> LeadView:
    """Everything the lead page shows; the view is recorded in the audit log (LGPD)."""
    lead = await open_lead(session, viewer, lead_id)
    messages = await queries.conversation(session, viewer.tenant_id, lead.id)
    handoffs = await queries.handoffs(session, viewer.tenant_id, lead.id)
    codes = matched_codes(messages, [h for h, _ in handoffs])
    staff = await queries.staff(session, viewer.tenant_id, active_only=False)
    view = LeadView(
        lead=lead,
        messages=messages,
        handoffs=handoffs,
        notes=await queries.notes(session, viewer.tenant_id, lead.id),
        properties=await queries.properties_by_code(session, viewer.tenant_id, codes),
        staff=[u for u in staff if u.active],
        assignee=next((u for u in staff if u.id == lead.assigned_user_id), None),
    )
    await record_audit(session, viewer, action="lead.view", target_type="lead", target_id=lead.id)
    return view


def matched_codes(messages: list[Message], handoffs: list[Handoff]) -> list[str]:
    """Listing codes the assistant showed the lead or handed to a broker, first seen first."""
    codes: list[str] = []
    sources = [m.media.get("properties") for m in messages if m.role == "assistant" and m.media]
    sources += [h.property_ids for h in handoffs]
    for source in sources:
        for code in source or []:
            if isinstance(code, str) and code not in codes:
                codes.append(code)
    return codes


async def take_over(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> Lead:
    """Pause the assistant for this lead; an unassigned lead becomes the viewer's."""
    lead = await open_lead(session, viewer, lead_id)
    lead.ai_paused = True
    if lead.assigned_user_id is None:
        lead.assigned_user_id = viewer.user_id
    await record_audit(
        session, viewer, action="lead.take_over", target_type="lead", target_id=lead.id
    )
    return lead


async def give_back(
    session: AsyncSession, deps: PipelineDeps, viewer: Viewer, lead_id: uuid.UUID
) -> Lead:
    lead = await open_lead(session, viewer, lead_id)
    await handoff.release(session, deps, lead=lead)
    await session.flush()
    return lead


async def reply_as_broker(
    session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, *, text: str
) -> Message:
    """Send ``text`` to the lead through the outbound pipeline; replying takes the chat over."""
    text = text.strip()
    if not text:
        raise BadRequest("Escreva a mensagem antes de enviar.")
    if len(text) > MAX_REPLY_CHARS:
        raise BadRequest(f"A mensagem passa de {MAX_REPLY_CHARS} caracteres.")
    lead = await open_lead(session, viewer, lead_id)
    if lead.opted_out:
        raise BadRequest("Este lead pediu para não receber mais mensagens.")
    if not lead.ai_paused:
        await take_over(session, viewer, lead_id)
    sent = await queue_outbound(
        session, lead=lead, texts=[text], role="broker", user_id=viewer.user_id
    )
    return sent[0]


async def assign(
    session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, *, user_id: uuid.UUID | None
) -> Lead:
    """Admins assign to anyone of the agency (or no one); a broker can only take it themself."""
    await open_lead(session, viewer, lead_id)
    if not viewer.is_admin and user_id != viewer.user_id:
        raise BadRequest("Corretores só podem assumir o lead para si.")
    return await leads.update_lead(
        session,
        tenant_id=viewer.tenant_id,
        lead_id=lead_id,
        assigned_user_id=user_id,
        unassign=user_id is None,
        visible_to=visible_to(viewer),
    )


async def add_note(
    session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, *, body: str
) -> LeadNote:
    body = body.strip()
    if not body:
        raise BadRequest("Escreva a anotação antes de salvar.")
    if len(body) > MAX_NOTE_CHARS:
        raise BadRequest(f"A anotação passa de {MAX_NOTE_CHARS} caracteres.")
    lead = await open_lead(session, viewer, lead_id)
    note = LeadNote(tenant_id=viewer.tenant_id, lead_id=lead.id, user_id=viewer.user_id, body=body)
    session.add(note)
    await session.flush()
    return note


async def conversation(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> list[Message]:
    """The messages alone, for the live-updating part of the lead page (not audited)."""
    lead = await open_lead(session, viewer, lead_id)
    return await queries.conversation(session, viewer.tenant_id, lead.id)


@dataclass(frozen=True, slots=True)
class SimulatorChat:
    lead: Lead | None
    messages: list[Message]
    waiting: bool


async def simulator_chat(session: AsyncSession, viewer: Viewer, *, phone: str) -> SimulatorChat:
    """The simulated lead's conversation; ``waiting`` while a message is unanswered or unsent."""
    lead = await queries.lead_by_phone(session, viewer.tenant_id, phone)
    if lead is None:
        return SimulatorChat(lead=None, messages=[], waiting=False)
    messages = await queries.conversation(session, viewer.tenant_id, lead.id)
    waiting = any(
        (m.direction == "inbound" and m.processed_at is None) or m.status == "pending"
        for m in messages
    )
    return SimulatorChat(lead=lead, messages=messages, waiting=waiting)


async def documents(session: AsyncSession, viewer: Viewer) -> list[KnowledgeDocument]:
    return await queries.documents(session, viewer.tenant_id)
