"""What the dashboard reads: the overview, a lead's page, notes, the simulator chat.

The acts on a lead (take over, reply, assign...) are ``lead_acts``, shared with the API.

Every function takes the signed-in ``Viewer``; a lead the viewer may not see is ``NotFound``,
the same as a lead that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import (
    Handoff,
    KnowledgeDocument,
    Lead,
    LeadNote,
    MediaFile,
    Message,
    Opportunity,
    Property,
    User,
)
from vellarys.db.queries import dashboard as queries
from vellarys.db.queries import media as media_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.glossary import AuditAction
from vellarys.errors import BadRequest, NotFound
from vellarys.services import lead_acts, opportunities, pipeline, timeline
from vellarys.services.audit import record_act
from vellarys.services.auth import Viewer

DEFAULT_TIMEZONE = "America/Sao_Paulo"
OVERVIEW_DAYS = 14
MAX_NOTE_CHARS = 5000


def scope_of(viewer: Viewer) -> queries.Scope:
    return queries.Scope(
        tenant_id=viewer.tenant_id, user_id=viewer.user_id, admin=viewer.is_manager
    )


async def agency_timezone(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    tenant = await tenant_queries.get(session, tenant_id)
    configured = (tenant.settings or {}).get("timezone") if tenant else None
    return str(configured or DEFAULT_TIMEZONE)


async def overview(session: AsyncSession, viewer: Viewer, *, today: date) -> queries.OverviewCounts:
    tz = await agency_timezone(session, viewer.tenant_id)
    return await queries.overview(session, scope_of(viewer), tz=tz, today=today, days=OVERVIEW_DAYS)


@dataclass(frozen=True, slots=True)
class LeadView:
    lead: Lead
    messages: list[Message]
    handoffs: list[tuple[Handoff, str | None]]
    notes: list[tuple[LeadNote, str | None]]
    properties: list[Property]
    staff: list[User]
    assignee: User | None
    opportunities: list[tuple[Opportunity, Property]]
    timeline: list[timeline.Event]
    loss_reasons: list[str]


async def lead_view(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> LeadView:
    """Everything the lead page shows; the view is recorded in the audit log (LGPD)."""
    lead = await lead_acts.view_lead(session, viewer.actor, lead_id=lead_id)
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
        opportunities=await opportunities.of_lead(session, viewer.actor, lead_id=lead.id),
        timeline=await timeline.lead_timeline(session, viewer.actor, lead_id=lead.id),
        loss_reasons=await pipeline.loss_reasons(session, viewer.tenant_id),
    )
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


async def add_note(
    session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, *, body: str
) -> LeadNote:
    body = body.strip()
    if not body:
        raise BadRequest("Escreva a anotação antes de salvar.")
    if len(body) > MAX_NOTE_CHARS:
        raise BadRequest(f"A anotação passa de {MAX_NOTE_CHARS} caracteres.")
    lead = await lead_acts.find_lead(session, viewer.actor, lead_id)
    note = LeadNote(tenant_id=viewer.tenant_id, lead_id=lead.id, user_id=viewer.user_id, body=body)
    session.add(note)
    await session.flush()
    details = {"note_id": str(note.id)}  # the body stays in lead_notes (erased with the lead)
    action = AuditAction.LEAD_NOTE_ADDED
    await record_act(session, viewer.actor, action, target_id=lead.id, details=details)
    return note


async def conversation(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> list[Message]:
    """The messages alone, for the live-updating part of the lead page (not audited)."""
    lead = await lead_acts.find_lead(session, viewer.actor, lead_id)
    return await queries.conversation(session, viewer.tenant_id, lead.id)


async def lead_file(session: AsyncSession, viewer: Viewer, message_id: uuid.UUID) -> MediaFile:
    """The stored file of a lead's message (a voice note to play, a PDF to open), for staff
    who may see that lead; ``NotFound`` otherwise, or once its bytes have expired."""
    stored = await media_queries.for_message(session, viewer.tenant_id, message_id)
    message = None if stored is None else await session.get(Message, stored.message_id)
    if stored is None or stored.data is None or message is None:
        raise NotFound("Arquivo não encontrado (ou já apagado pelo prazo de retenção).")
    await lead_acts.find_lead(session, viewer.actor, message.lead_id)
    return stored


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
