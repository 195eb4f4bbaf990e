"""One lead: conversation with live delivery ticks, profile, summary, properties, actions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.domain import glossary
from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services import dashboard, lead_acts, lead_entry, opportunities, visit_calendar
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


def lead_key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("Lead não encontrado.") from exc


def _back(lead_id: uuid.UUID) -> Response:
    return RedirectResponse(f"/leads/{lead_id}", status_code=303)


@router.get("/leads/{lead_id}")
async def lead_page(request: Request, lead_id: str) -> Response:
    return await _lead_page(request, lead_key(lead_id))


async def _lead_page(
    request: Request, key: uuid.UUID, *, status: int = 200, **extra: Any
) -> Response:
    async with staff_work(request) as (session, viewer):
        view = await dashboard.lead_view(session, viewer, key)
        visits = await visit_calendar.list_visits(
            session, tenant_id=viewer.tenant_id, lead_id=view.lead.id
        )
    context = {
        "view": view,
        "lead": view.lead,
        "edit_error": None,
        "edit_values": None,
        "visits": visits,
        "statuses": glossary.VISIT_STATUS_LABELS,
        "outcomes": glossary.VISIT_OUTCOME_LABELS,
        "now": container_of(request).clock.now(),
        **extra,
    }
    return render(request, "lead.html", context, status=status)


@router.post("/leads/{lead_id}/edit")
async def edit(request: Request, lead_id: str) -> Response:
    """Name, tags, stage and profile fields; a refused value is a 422 and nothing is saved."""
    key, fields = lead_key(lead_id), await form_fields(request)
    try:
        async with staff_work(request) as (session, viewer):
            await lead_entry.edit_lead(session, viewer.actor, lead_id=key, fields=fields)
    except BadRequest as exc:
        return await _lead_page(
            request, key, status=exc.status_code, edit_error=exc.message, edit_values=fields
        )
    flash(request, "Dados do lead salvos.")
    return _back(key)


@router.post("/leads/{lead_id}/opportunities")
async def open_opportunity(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_id, "Oportunidade aberta.")


@router.post("/opportunities/{opportunity_id}")
async def update_opportunity(request: Request, opportunity_id: str) -> Response:
    key, fields = _opportunity_key(opportunity_id), await form_fields(request)
    container = container_of(request)
    try:
        async with staff_work(request) as (session, viewer):
            found = await opportunities.update_opportunity(
                session, viewer.actor, opportunity_id=key, fields=fields, now=container.clock.now()
            )
    except BadRequest as exc:
        flash(request, exc.message, "error")
        return _back(lead_key(fields.get("lead_id", "")))
    flash(request, "Oportunidade atualizada.")
    return _back(found.lead_id)


def _opportunity_key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(opportunities.NOT_FOUND) from exc


@router.get("/leads/{lead_id}/messages")
async def lead_messages(request: Request, lead_id: str) -> Response:
    key = lead_key(lead_id)
    async with staff_work(request) as (session, viewer):
        messages = await dashboard.conversation(session, viewer, key)
    return render(request, "partials/conversation.html", {"messages": messages, "lead_id": key})


@router.get("/media/{message_id}")
async def lead_media(request: Request, message_id: str) -> Response:
    """The bytes of a file a lead sent, for the player or the document link."""
    async with staff_work(request) as (session, viewer):
        stored = await dashboard.lead_file(session, viewer, lead_key(message_id))
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def _act(request: Request, lead_id: str, done: str) -> Response:
    """Run one lead action; a refused action comes back to the lead page as a message."""
    key, fields = lead_key(lead_id), await form_fields(request)
    deps = container_of(request).pipeline
    try:
        async with staff_work(request) as (session, viewer):
            action, actor = request.url.path.rsplit("/", 1)[-1], viewer.actor
            if action == "take-over":
                await lead_acts.take_over(session, actor, lead_id=key)
            elif action == "give-back":
                await lead_acts.give_back(session, deps, actor, lead_id=key)
            elif action == "reply":
                text = fields.get("text", "")
                await lead_acts.send_broker_message(session, actor, lead_id=key, text=text)
            elif action == "assign":
                user, now = _user(fields.get("user_id") or None), container_of(request).clock.now()
                await lead_acts.assign_lead(session, actor, lead_id=key, user_id=user, now=now)
            elif action == "stage":
                stage, reason = fields.get("stage", ""), fields.get("loss_reason") or None
                await lead_acts.change_stage(
                    session, actor, lead_id=key, stage=stage, loss_reason=reason
                )
            elif action == "opportunities":
                code = fields.get("code", "")
                await opportunities.open_for_code(session, actor, lead_id=key, code=code)
            elif action == "notes":
                await dashboard.add_note(session, viewer, key, body=fields.get("body", ""))
    except (BadRequest, Conflict) as exc:
        flash(request, exc.message, "error")
        return _back(key)
    flash(request, done)
    return _back(key)


def _user(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError as exc:
        raise BadRequest("Corretor inválido.") from exc


@router.post("/leads/{lead_id}/take-over")
async def take_over(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_id, "Você assumiu a conversa: a assistente está pausada.")


@router.post("/leads/{lead_id}/give-back")
async def give_back(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_id, "A conversa voltou para a assistente.")


@router.post("/leads/{lead_id}/reply")
async def reply(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_id, "Mensagem enviada para a fila de envio.")


@router.post("/leads/{lead_id}/assign")
async def assign(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_id, "Corretor atualizado.")


@router.post("/leads/{lead_id}/notes")
async def add_note(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_id, "Anotação salva.")


@router.post("/leads/{lead_id}/stage")
async def change_stage(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_id, "Etapa atualizada.")
