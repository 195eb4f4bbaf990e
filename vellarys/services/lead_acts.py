"""What staff do to one lead: view it, change its stage, assign it, take over, give back,
send it a message. One function per act, called alike by the dashboard, the REST API and
the command line; each checks what may be done and records itself in the audit log.

A lead the actor may not see is ``NotFound``, the same as a lead that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Message
from vellarys.db.queries import user as user_queries
from vellarys.domain.glossary import STAGE_LABELS, AuditAction, Stage
from vellarys.domain.routing import on_vacation
from vellarys.errors import BadRequest, Conflict
from vellarys.services import handoff, pipeline, routing, webhooks
from vellarys.services.audit import Actor, record_act
from vellarys.services.deps import PipelineDeps
from vellarys.services.leads import get_lead
from vellarys.services.outbound import queue_outbound

MAX_MESSAGE_CHARS = 4096  # WhatsApp's limit for one text message


async def find_lead(session: AsyncSession, actor: Actor, lead_id: uuid.UUID) -> Lead:
    """The lead if ``actor`` may see it, else ``NotFound`` (not audited: see ``view_lead``)."""
    return await get_lead(
        session, tenant_id=actor.tenant_id, lead_id=lead_id, visible_to=actor.visible_to
    )


async def view_lead(session: AsyncSession, actor: Actor, *, lead_id: uuid.UUID) -> Lead:
    """The lead, with the view recorded in the audit log (LGPD)."""
    lead = await find_lead(session, actor, lead_id)
    await record_act(session, actor, AuditAction.LEAD_VIEWED, target_id=lead.id)
    return lead


async def change_stage(
    session: AsyncSession,
    actor: Actor,
    *,
    lead_id: uuid.UUID,
    stage: str,
    loss_reason: str | None = None,
) -> Lead:
    """Move the lead to ``stage`` (one of ``Stage``); ``lost`` needs one of the agency's
    loss reasons (``pipeline.loss_reasons``)."""
    if stage not in STAGE_LABELS:
        raise BadRequest(f"Etapa desconhecida: use {', '.join(Stage)}")
    lead = await find_lead(session, actor, lead_id)
    reason = None
    if stage == Stage.LOST:
        reasons = await pipeline.loss_reasons(session, actor.tenant_id)
        reason = pipeline.checked_reason(loss_reason, reasons)
    before, lead.stage, lead.loss_reason = lead.stage, Stage(stage).value, reason
    await session.flush()
    changed = {"from": before, "to": lead.stage}
    if reason:
        changed["loss_reason"] = reason
    action = AuditAction.LEAD_STAGE_CHANGED
    await record_act(session, actor, action, target_id=lead.id, details=changed)
    if before != lead.stage:
        await webhooks.announce_stage(session, lead, before=before)
    return lead


async def assign_lead(
    session: AsyncSession,
    actor: Actor,
    *,
    lead_id: uuid.UUID,
    user_id: uuid.UUID | None,
    now: datetime | None = None,
) -> Lead:
    """Give the lead to an active user of the agency, or (``None``) back to the queue; the
    new broker is told on WhatsApp (a manual handoff). Nobody is given leads on vacation.

    A broker may only take a lead for themself. The same message whether the user is
    another agency's or does not exist.
    """
    lead = await find_lead(session, actor, lead_id)
    now = now or datetime.now(UTC)
    if not actor.admin and user_id != actor.user_id:
        raise BadRequest("Corretores só podem assumir o lead para si.")
    if user_id is not None:
        user = await user_queries.get(session, actor.tenant_id, user_id)
        if user is None:
            raise BadRequest("Esse usuário não existe nesta imobiliária")
        if not user.active:
            raise BadRequest("Esse usuário está desativado")
        if on_vacation(routing.candidate(user), now.date()):
            raise BadRequest(f"{user.name} está de férias e não recebe leads.")
    before, lead.assigned_user_id = lead.assigned_user_id, user_id
    await session.flush()
    details = {"user_id": None if user_id is None else str(user_id)}
    await record_act(session, actor, AuditAction.LEAD_ASSIGNED, target_id=lead.id, details=details)
    if user_id is not None and user_id != before and user_id != actor.user_id:
        await handoff.notify_assignment(session, lead=lead, user_id=user_id, now=now)
    return lead


async def take_over(session: AsyncSession, actor: Actor, *, lead_id: uuid.UUID) -> Lead:
    """Pause the assistant for this lead; an unassigned lead becomes the acting user's."""
    lead = await find_lead(session, actor, lead_id)
    await _take_over(session, actor, lead)
    return lead


async def _take_over(session: AsyncSession, actor: Actor, lead: Lead) -> None:
    lead.ai_paused = True
    if lead.assigned_user_id is None and actor.user_id is not None:
        lead.assigned_user_id = actor.user_id
    await session.flush()
    await record_act(session, actor, AuditAction.LEAD_TAKEN_OVER, target_id=lead.id)


async def give_back(
    session: AsyncSession, deps: PipelineDeps, actor: Actor, *, lead_id: uuid.UUID
) -> Lead:
    """Give the conversation back to the assistant (open handoffs are released)."""
    lead = await find_lead(session, actor, lead_id)
    await handoff.release(session, deps, lead=lead)
    await session.flush()
    await record_act(session, actor, AuditAction.LEAD_GIVEN_BACK, target_id=lead.id)
    return lead


async def send_broker_message(
    session: AsyncSession, actor: Actor, *, lead_id: uuid.UUID, text: str
) -> Message:
    """Queue ``text`` to the lead as the broker (stored ``pending``, sent by a job).

    ``BadRequest`` for an empty or too long text; ``Conflict`` when the lead cannot receive
    it (opted out, erased, no WhatsApp channel). A human writing means a human is in the
    conversation: the assistant is paused first (a take-over, audited as such).
    """
    text = text.strip()
    if not text:
        raise BadRequest("Escreva a mensagem antes de enviar.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(f"A mensagem tem no máximo {MAX_MESSAGE_CHARS} caracteres.")
    lead = await find_lead(session, actor, lead_id)
    if lead.opted_out or lead.erased_at is not None:
        raise Conflict("O lead pediu para não receber mensagens.")
    if lead.channel_id is None:
        raise Conflict("O lead não tem um canal de WhatsApp para responder.")
    if not lead.ai_paused:
        await _take_over(session, actor, lead)
    queued = await queue_outbound(
        session, lead=lead, texts=[text], role="broker", user_id=actor.user_id
    )
    await record_act(
        session,
        actor,
        AuditAction.LEAD_MESSAGE_SENT,
        target_id=lead.id,
        details={"message_id": str(queued[0].id)},
    )
    return queued[0]
