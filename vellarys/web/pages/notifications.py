"""Manager alerts (admins): the bell's unread count, the list, and which go to WhatsApp."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from vellarys.domain import glossary
from vellarys.services import alerts
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


@router.get("/notifications")
async def notifications_page(request: Request) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        tenant_id, user_id = viewer.tenant_id, viewer.user_id
        items = await alerts.list_notifications(session, tenant_id=tenant_id, user_id=user_id)
        chosen = await alerts.whatsapp_alerts(session, tenant_id=tenant_id, user_id=user_id)
    labels = glossary.ALERT_KIND_LABELS
    context = {"items": items, "chosen": chosen, "labels": labels, "names": alerts.NAMES}
    return render(request, "notifications.html", context)


@router.get("/notifications/bell")
async def bell(request: Request) -> Response:
    """The bell's badge, loaded by htmx on every page."""
    async with staff_work(request, admin=True) as (session, viewer):
        count = await alerts.unread_count(
            session, tenant_id=viewer.tenant_id, user_id=viewer.user_id
        )
    badge = f' <span class="badge hot" id="unread">{count}</span>' if count else ""
    return HTMLResponse(f"🔔 Alertas{badge}")


@router.post("/notifications/read")
async def mark_read(request: Request) -> Response:
    await form_fields(request)
    now = container_of(request).clock.now()
    async with staff_work(request, admin=True) as (session, viewer):
        await alerts.mark_all_read(
            session, tenant_id=viewer.tenant_id, user_id=viewer.user_id, now=now
        )
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/preferences")
async def preferences(request: Request) -> Response:
    fields = await form_fields(request)
    kinds = [kind for kind in glossary.ALERT_KIND_LABELS if fields.get(f"alert_{kind}") == "on"]
    async with staff_work(request, admin=True) as (session, viewer):
        await alerts.set_whatsapp_alerts(
            session, tenant_id=viewer.tenant_id, user_id=viewer.user_id, kinds=kinds
        )
    flash(request, "Preferências de alerta salvas.")
    return RedirectResponse("/notifications", status_code=303)
