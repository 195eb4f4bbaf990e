"""The agency's outbox (admins): every e-mail the deployment sent or would have sent, and the
morning briefings sent on WhatsApp (or why one could not go)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vellarys.services import briefing, briefing_whatsapp
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, staff_work

router = APIRouter(route_class=WebRoute)


@router.get("/outbox")
async def outbox_page(request: Request) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        emails = await briefing.outbox(session, viewer.tenant_id)
        chats = await briefing_whatsapp.latest(session, viewer.tenant_id)
    smtp = container_of(request).settings.smtp_url is not None
    return render(request, "outbox.html", {"emails": emails, "smtp": smtp, "chats": chats})
