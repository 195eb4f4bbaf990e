"""WhatsApp channels (admins only): add credentials, see the webhook URL, send a test."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.adapters.whatsapp import CONNECTABLE, REGISTRY
from vellarys.db.queries import channel as channel_queries
from vellarys.domain.phone import normalize_phone
from vellarys.errors import BadRequest, NotFound, ProviderError
from vellarys.services import channel as channel_service
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)
TEST_TEXT = "Mensagem de teste do Vellarys: o canal está funcionando. ✅"


async def _page(request: Request, *, status: int = 200, **extra: Any) -> Response:
    base = container_of(request).settings.base_url
    async with staff_work(request, admin=True) as (session, viewer):
        channels = await channel_service.list_channels(session, viewer.tenant_id)
    rows = [(c, base + channel_service.webhook_path(c)) for c in channels]
    specs = [REGISTRY[name] for name in CONNECTABLE]
    context = {"rows": rows, "specs": specs, "error": None, "values": {}, **extra}
    return render(request, "channels.html", context, status=status)


@router.get("/channels")
async def channels_page(request: Request) -> Response:
    return await _page(request)


@router.post("/channels")
async def add(request: Request) -> Response:
    fields = await form_fields(request)
    provider = fields.get("provider", "")
    if provider not in CONNECTABLE:
        return await _page(request, error="Escolha um provedor.", values=fields, status=400)
    # Each provider's inputs are named "<provider>.<credential key>" (see the template).
    credentials = {
        f.key: fields.get(f"{provider}.{f.key}", "").strip() for f in REGISTRY[provider].fields
    }
    settings = container_of(request).settings
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            channel = await channel_service.add_channel(
                session,
                tenant_id=viewer.tenant_id,
                provider=provider,
                identity=fields.get("identity", ""),
                credentials=credentials,
                secret_key=settings.resolved_secret_key,
                allow_private_urls=settings.private_urls_allowed,
                name=fields.get("name", "").strip() or None,
            )
    except BadRequest as exc:
        message = f"Preencha todos os campos do provedor escolhido. ({exc.message})"
        return await _page(request, error=message, values=fields, status=400)
    except ProviderError as exc:
        return await _page(request, error=exc.message, values=fields, status=400)
    flash(request, f"Canal {channel.name} adicionado. Configure o webhook no provedor.")
    return RedirectResponse("/channels", status_code=303)


@router.post("/channels/{channel_id}/test")
async def test_send(request: Request, channel_id: str) -> Response:
    fields = await form_fields(request)
    try:
        key = uuid.UUID(channel_id)
        to = normalize_phone(fields.get("phone", ""))
    except ValueError:
        flash(request, "Informe um número de WhatsApp válido, com DDD.", "error")
        return RedirectResponse("/channels", status_code=303)
    async with staff_work(request, admin=True) as (session, viewer):
        channel = await channel_queries.get(session, viewer.tenant_id, key)
    if channel is None:
        raise NotFound("Canal não encontrado.")
    # The provider call happens after the unit of work: no transaction waits on the network.
    try:
        await container_of(request).pipeline.provider_for(channel).send_text(to=to, text=TEST_TEXT)
    except ProviderError as exc:
        flash(request, f"O provedor recusou o envio: {exc.message}", "error")
    else:
        flash(request, f"Mensagem de teste enviada para {to}.")
    return RedirectResponse("/channels", status_code=303)
