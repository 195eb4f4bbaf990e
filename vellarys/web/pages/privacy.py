"""LGPD requests leads made in the chat (admins): export to review, mark done, erase."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.errors import NotFound
from vellarys.services import lgpd, privacy_requests
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)
KIND_LABELS = {
    "access": "Acesso aos dados",
    "erase": "Apagar os dados",
    "opt_out": "Não receber mensagens",
}
STATUS_LABELS = {"open": "aberto", "erasing": "apagando", "done": "atendido"}


def _key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("Pedido não encontrado.") from exc


@router.get("/lgpd")
async def requests_page(request: Request) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        found = await privacy_requests.list_requests(session, viewer.actor)
    context = {"requests": found, "kinds": KIND_LABELS, "statuses": STATUS_LABELS}
    return render(request, "lgpd.html", context)


@router.get("/lgpd/{request_id}/export.json")
async def export(request: Request, request_id: str) -> Response:
    key = _key(request_id)
    async with staff_work(request, admin=True) as (session, viewer):
        found = await privacy_requests.request_of(session, viewer.actor, key)
        data = await lgpd.export_lead(
            session, tenant_id=viewer.tenant_id, lead_id=found.lead_id, user_id=viewer.user_id
        )
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    headers = {"Content-Disposition": f'attachment; filename="lead-{found.lead_id}.json"'}
    return Response(body, media_type="application/json", headers=headers)


@router.post("/lgpd/{request_id}/done")
async def done(request: Request, request_id: str) -> Response:
    key = _key(request_id)
    async with staff_work(request, admin=True) as (session, viewer):
        now = container_of(request).clock.now()
        await privacy_requests.complete_access(session, viewer.actor, request_id=key, now=now)
    flash(request, "Pedido atendido: o lead foi avisado pelo WhatsApp.")
    return RedirectResponse("/lgpd", status_code=303)


@router.post("/lgpd/{request_id}/erase")
async def erase(request: Request, request_id: str) -> Response:
    key = _key(request_id)
    async with staff_work(request, admin=True) as (session, viewer):
        now = container_of(request).clock.now()
        await privacy_requests.confirm_erase(session, viewer.actor, request_id=key, now=now)
    flash(request, "Apagamento confirmado: o lead é avisado e os dados são apagados em seguida.")
    return RedirectResponse("/lgpd", status_code=303)
