"""LGPD requests a lead makes in the chat: recognised, answered in the agency's words, and
turned into a task for the agency's admins, who export or erase with one click; the lead is
told when it is done.

Access ("quero meus dados"): the admin downloads the export to review and send, then marks
the request done; the lead is told. Erasure ("apaguem meus dados"): the admin's click is the
confirmation; the lead is told first and erased right after that message goes out (a job
behind the lead's sends), because an erased lead can no longer be written to. Opt-out is
recorded here too, already done, as the pipeline stops messages at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Lead, LgpdRequest, Message, Notification, Tenant
from vellarys.db.queries import privacy as privacy_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain import privacy_request
from vellarys.domain.glossary import AuditAction
from vellarys.errors import BadRequest, NotFound
from vellarys.services import audit, lgpd
from vellarys.services.audit import Actor
from vellarys.services.outbound import queue_outbound

NOTICE_KIND = "lgpd_request"
REPLIES = {
    privacy_request.ACCESS: (
        "Recebemos seu pedido para saber quais dados pessoais temos sobre você (LGPD). ✅\n\n"
        "A equipe da {agency} vai preparar uma cópia e te avisamos aqui quando estiver pronta."
    ),
    privacy_request.ERASE: (
        "Recebemos seu pedido para apagar seus dados pessoais (LGPD). ✅\n\n"
        "A equipe da {agency} vai confirmar e te avisamos aqui quando tudo for apagado. "
        "Depois disso, não teremos mais o histórico desta conversa."
    ),
}
DONE = {
    privacy_request.ACCESS: (
        "Seu pedido de acesso aos dados foi atendido: a equipe da {agency} preparou a cópia "
        "dos seus dados e vai enviá-la a você. Qualquer dúvida, é só responder aqui."
    ),
    privacy_request.ERASE: (
        "Pronto: seus dados pessoais foram apagados pela {agency}, como você pediu. "
        "Você não receberá mais mensagens nossas. Obrigado pelo contato!"
    ),
}
_SETTING = {privacy_request.ACCESS: "lgpd_access_reply", privacy_request.ERASE: "lgpd_erase_reply"}
ADMIN_NOTICE = {
    privacy_request.ACCESS: "Pedido LGPD: o lead quer saber quais dados temos dele.",
    privacy_request.ERASE: "Pedido LGPD: o lead pediu para apagar os dados dele.",
    privacy_request.OPT_OUT: "Pedido LGPD: o lead pediu para não receber mais mensagens.",
}


def requested_in(burst: Sequence[Message]) -> str | None:
    """The LGPD request in the lead's new text messages (erasure first), or None."""
    kinds = {privacy_request.privacy_request(m.content) for m in burst if m.type == "text"}
    for kind in (privacy_request.ERASE, privacy_request.ACCESS):
        if kind in kinds:
            return kind
    return None


def _agency(tenant: Tenant | None) -> str:
    if tenant is None:
        return "imobiliária"
    return str((tenant.settings or {}).get("agency_name") or tenant.name)


async def take_request(session: AsyncSession, *, lead: Lead, kind: str, now: datetime) -> None:
    """Record the lead's request (once while one of its kind is open), tell the admins and
    answer the lead with the agency's text (its setting, else ours)."""
    request = await _record(session, lead=lead, kind=kind, now=now)
    if kind == privacy_request.OPT_OUT:
        return
    tenant = await session.get(Tenant, lead.tenant_id)
    custom = str(((tenant.settings if tenant else None) or {}).get(_SETTING[kind]) or "").strip()
    text = custom or REPLIES[kind].format(agency=_agency(tenant))
    media = {"brain": "lgpd", "lgpd_request": str(request.id)}
    await queue_outbound(session, lead=lead, texts=[text], role="system", media=media)


async def _record(session: AsyncSession, *, lead: Lead, kind: str, now: datetime) -> LgpdRequest:
    request = await privacy_queries.pending_of_lead(session, lead.tenant_id, lead.id, kind)
    if request is not None:
        return request
    done = kind == privacy_request.OPT_OUT
    request = LgpdRequest(
        tenant_id=lead.tenant_id,
        lead_id=lead.id,
        kind=kind,
        status="done" if done else "open",
        created_at=now,
        done_at=now if done else None,
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        tenant_id=lead.tenant_id,
        user_id=None,
        action=AuditAction.LGPD_REQUESTED,
        target_type=audit.LEAD,
        target_id=lead.id,
        details={"kind": kind, "request_id": str(request.id)},
    )
    for admin in await user_queries.active_admins(session, lead.tenant_id):
        session.add(
            Notification(
                tenant_id=lead.tenant_id,
                user_id=admin.id,
                lead_id=lead.id,
                kind=NOTICE_KIND,
                ref=str(request.id),
                text=ADMIN_NOTICE[kind],
            )
        )
    await session.flush()
    return request


async def list_requests(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    """The agency's requests, open ones first, newest first."""
    found = await privacy_queries.of_tenant(session, actor.tenant_id, limit=200)
    return [
        {"request": request, "lead_name": name, "lead_phone": phone}
        for request, name, phone in found
    ]


async def request_of(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> LgpdRequest:
    """One of the actor's agency's requests (``NotFound`` for another agency's)."""
    request = await session.get(LgpdRequest, request_id)
    if request is None or request.tenant_id != actor.tenant_id:
        raise NotFound("Pedido não encontrado.")
    return request


async def _open(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, kind: str
) -> tuple[LgpdRequest, Lead]:
    request = await request_of(session, actor, request_id)
    if request.kind != kind or request.status != "open":
        raise BadRequest("Este pedido já foi atendido ou não é deste tipo.")
    lead = await session.get(Lead, request.lead_id)
    assert lead is not None  # the request's foreign key
    return request, lead


async def complete_access(
    session: AsyncSession, actor: Actor, *, request_id: uuid.UUID, now: datetime
) -> LgpdRequest:
    """The admin reviewed and sent the export: the request is done and the lead is told."""
    request, lead = await _open(session, actor, request_id, privacy_request.ACCESS)
    request.status, request.done_at, request.done_by_id = "done", now, actor.user_id
    await _tell_done(session, lead, request)
    await audit.record_act(
        session, actor, AuditAction.LGPD_DONE, target_id=lead.id, details={"kind": request.kind}
    )
    return request


async def confirm_erase(
    session: AsyncSession, actor: Actor, *, request_id: uuid.UUID, now: datetime
) -> LgpdRequest:
    """The admin confirmed the erasure: the lead is told, then erased by a job that runs once
    that message is sent (``erase_after_notice``)."""
    request, lead = await _open(session, actor, request_id, privacy_request.ERASE)
    request.status, request.done_by_id = "erasing", actor.user_id
    await _tell_done(session, lead, request)
    await queue.defer_erase_after_notice(session, request_id=request.id, lead_id=lead.id)
    return request


async def _tell_done(session: AsyncSession, lead: Lead, request: LgpdRequest) -> None:
    if lead.erased_at is not None:
        return
    tenant = await session.get(Tenant, lead.tenant_id)
    text = DONE[request.kind].format(agency=_agency(tenant))
    media = {"brain": "lgpd", "lgpd_request": str(request.id)}
    # Sent even to a lead who opted out: it answers their own request.
    await queue_outbound(session, lead=lead, texts=[text], role="system", media=media)


async def erase_after_notice(session: AsyncSession, *, request_id: uuid.UUID, now: datetime) -> str:
    """The job behind the goodbye: erase the lead through the LGPD service and close the
    request. Idempotent (a request already done is left alone)."""
    request = await session.get(LgpdRequest, request_id)
    if request is None or request.status != "erasing":
        return "already"
    await lgpd.erase_lead(
        session, tenant_id=request.tenant_id, lead_id=request.lead_id, user_id=request.done_by_id
    )
    request.status, request.done_at = "done", now
    return "erased"
