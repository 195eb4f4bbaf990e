"""Integrations (admins only): the portals' lead URL and secret, outgoing webhooks, their
delivery log and a test event."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.domain.webhook import EVENTS
from vellarys.errors import BadRequest, NotFound
from vellarys.services import portal_leads, webhooks
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)
PAGE = "/integrations"


async def _page(request: Request, *, status: int = 200, **extra: Any) -> Response:
    base = container_of(request).settings.base_url
    async with staff_work(request, admin=True) as (session, viewer):
        portal = await portal_leads.portal_intake(session, tenant_id=viewer.tenant_id)
        endpoints = await webhooks.list_endpoints(session, viewer.tenant_id)
        deliveries = await webhooks.delivery_log(session, viewer.tenant_id)
    context = {
        "portal": portal,
        "portal_url": base + portal_leads.portal_path(portal) if portal else None,
        "endpoints": endpoints,
        "urls": {e.id: e.url for e in endpoints},
        "deliveries": deliveries,
        "events": EVENTS,
        "error": None,
        "values": {},
        "new_secret": None,
        **extra,
    }
    return render(request, "integrations.html", context, status=status)


@router.get(PAGE)
async def integrations_page(request: Request) -> Response:
    return await _page(request)


@router.post(PAGE + "/portal")
async def make_portal_secret(request: Request) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        _, secret = await portal_leads.make_portal_secret(session, tenant_id=viewer.tenant_id)
    shown = {"kind": "portal", "value": secret}
    return await _page(request, new_secret=shown)


@router.post(PAGE + "/webhooks")
async def add_webhook(request: Request) -> Response:
    fields = await form_fields(request)
    chosen = [event for event in EVENTS if fields.get(f"event:{event}") == "on"]
    settings = container_of(request).settings
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            _, secret = await webhooks.add_endpoint(
                session,
                tenant_id=viewer.tenant_id,
                url=fields.get("url", ""),
                events=chosen,
                secret_key=settings.resolved_secret_key,
                allow_private=settings.private_urls_allowed,
            )
    except BadRequest as exc:
        return await _page(request, error=exc.message, values=fields, status=400)
    return await _page(request, new_secret={"kind": "webhook", "value": secret})


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("Webhook não encontrado.") from exc


@router.post(PAGE + "/webhooks/{endpoint_id}/delete")
async def remove_webhook(request: Request, endpoint_id: str) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        await webhooks.remove_endpoint(
            session, tenant_id=viewer.tenant_id, endpoint_id=_id(endpoint_id)
        )
    flash(request, "Webhook removido.")
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/webhooks/{endpoint_id}/test")
async def test_webhook(request: Request, endpoint_id: str) -> Response:
    now = container_of(request).clock.now()
    async with staff_work(request, admin=True) as (session, viewer):
        await webhooks.send_test(
            session, tenant_id=viewer.tenant_id, endpoint_id=_id(endpoint_id), now=now
        )
    flash(request, "Evento de teste na fila: veja o resultado no registro de entregas.")
    return RedirectResponse(PAGE, status_code=303)
