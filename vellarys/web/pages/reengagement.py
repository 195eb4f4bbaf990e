"""Re-engagement (admins): scheduled follow-ups and reactivations, cancel, send now, figures."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.models import PlannedMessage
from vellarys.db.queries import tenant as tenant_queries
from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services import reengagement
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)
Act = Callable[..., Awaitable[PlannedMessage]]
KINDS = {"follow_up": "Follow-up", "reactivation": "Reativação"}
STATUSES = {"sent": "enviada", "cancelled": "cancelada", "skipped": "não enviada"}


@router.get("/reengagement")
async def reengagement_page(request: Request) -> Response:
    now = container_of(request).clock.now()
    async with staff_work(request, manager=True) as (session, viewer):
        tenant = await tenant_queries.get(session, viewer.tenant_id)
        if tenant is None:
            raise NotFound("Imobiliária não encontrada.")
        scheduled = await reengagement.scheduled(session, tenant=tenant, now=now)
        recent = await reengagement.recent(session, tenant.id, now=now)
        figures = await reengagement.figures(session, tenant.id, now=now)
    context = {
        "scheduled": scheduled,
        "recent": recent,
        "figures": figures,
        "kinds": KINDS,
        "statuses": STATUSES,
    }
    return render(request, "reengagement.html", context)


@router.post("/reengagement/cancel")
async def cancel(request: Request) -> Response:
    return await _act(request, reengagement.cancel)


@router.post("/reengagement/send")
async def send_now(request: Request) -> Response:
    return await _act(request, reengagement.send_now)


def _step(fields: dict[str, str]) -> tuple[uuid.UUID, str, int]:
    try:
        lead_id, step = uuid.UUID(fields.get("lead_id", "")), int(fields.get("step", ""))
    except ValueError as exc:
        raise BadRequest("Mensagem inválida.") from exc
    kind = fields.get("kind", "")
    if kind not in KINDS:
        raise BadRequest("Tipo de mensagem inválido.")
    return lead_id, kind, step


async def _act(request: Request, done: Act) -> Response:
    fields = await form_fields(request)
    now = container_of(request).clock.now()
    try:
        async with staff_work(request, manager=True) as (session, viewer):
            lead_id, kind, step = _step(fields)
            tenant = await tenant_queries.get(session, viewer.tenant_id)
            assert tenant is not None
            row = await done(
                session,
                tenant=tenant,
                lead_id=lead_id,
                kind=kind,
                step=step,
                now=now,
                user_id=viewer.user_id,
            )
    except (NotFound, Conflict) as exc:
        flash(request, exc.message, "error")
        return RedirectResponse("/reengagement", status_code=303)
    message = {"cancelled": "Mensagem cancelada.", "sent": "Mensagem enviada."}.get(
        row.status, f"Não enviada: {row.reason}."
    )
    flash(request, message)
    return RedirectResponse("/reengagement", status_code=303)
