"""Approved WhatsApp templates of a Meta channel, on the channels page (admins only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.errors import BadRequest, NotFound
from vellarys.services import templates
from vellarys.web.pages.forms import form_fields
from vellarys.web.route import WebRoute
from vellarys.web.session import flash, staff_work

router = APIRouter(route_class=WebRoute)


def _channel_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("Canal não encontrado.") from exc


@router.post("/channels/{channel_id}/templates")
async def add(request: Request, channel_id: str) -> Response:
    fields = await form_fields(request)
    key = _channel_id(channel_id)
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            _, template = await templates.add_template(
                session,
                tenant_id=viewer.tenant_id,
                channel_id=key,
                name=fields.get("template_name", ""),
                language=fields.get("template_language", "") or "pt_BR",
                purpose=fields.get("template_purpose", ""),
                variables=fields.get("template_variables", "").split(","),
            )
    except BadRequest as exc:
        flash(request, exc.message, "error")
        return RedirectResponse("/channels", status_code=303)
    flash(request, f"Modelo {template.name} adicionado.")
    return RedirectResponse("/channels", status_code=303)


@router.post("/channels/{channel_id}/templates/remove")
async def remove(request: Request, channel_id: str) -> Response:
    fields = await form_fields(request)
    key = _channel_id(channel_id)
    name = fields.get("template_name", "")
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            await templates.remove_template(
                session, tenant_id=viewer.tenant_id, channel_id=key, name=name
            )
    except BadRequest as exc:
        flash(request, exc.message, "error")
        return RedirectResponse("/channels", status_code=303)
    flash(request, f"Modelo {name} removido.")
    return RedirectResponse("/channels", status_code=303)
