"""The signed-in user's page ("Minha conta"): which events push to their phone, this device's
push subscription and the devices that get them."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from vellarys.domain.push import PUSH_LABELS
from vellarys.errors import BadRequest
from vellarys.services import push
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


def vapid_public_key(request: Request) -> str:
    settings = container_of(request).settings
    configured = settings.vapid_private_key
    return push.vapid_public_key(
        configured=configured.get_secret_value() if configured else None,
        data_dir=settings.data_dir,
    )


@router.get("/account")
async def account_page(request: Request) -> Response:
    async with staff_work(request) as (session, viewer):
        ids = {"tenant_id": viewer.tenant_id, "user_id": viewer.user_id}
        chosen = await push.choices(session, **ids)
        devices = await push.devices(session, **ids)
    context = {
        "labels": PUSH_LABELS,
        "chosen": chosen,
        "devices": devices,
        "vapid_key": vapid_public_key(request),
    }
    return render(request, "account.html", context)


@router.post("/account/push")
async def save_choices(request: Request) -> Response:
    fields = await form_fields(request)
    kinds = [kind for kind in PUSH_LABELS if fields.get(f"push_{kind}") == "on"]
    async with staff_work(request) as (session, viewer):
        await push.set_choices(
            session, tenant_id=viewer.tenant_id, user_id=viewer.user_id, kinds=kinds
        )
    flash(request, "Preferências de notificação salvas.")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/push/subscribe")
async def subscribe(request: Request) -> Response:
    """The browser's ``PushSubscription.toJSON()``, posted by pwa.js."""
    settings = container_of(request).settings
    async with staff_work(request) as (session, viewer):
        body = await _json_object(request)
        await push.subscribe(
            session,
            tenant_id=viewer.tenant_id,
            user_id=viewer.user_id,
            subscription=body,
            user_agent=request.headers.get("user-agent"),
            allow_private=settings.private_urls_allowed,
        )
    return JSONResponse({"status": "ok"})


async def _json_object(request: Request) -> dict[str, object]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("Inscrição inválida: envie o JSON da inscrição (application/json).")
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise BadRequest("Inscrição inválida: o corpo não é JSON.") from exc
    if not isinstance(body, dict):
        raise BadRequest("Inscrição inválida: esperado um objeto JSON.")
    return body


@router.post("/account/push/devices/{device_id}/forget")
async def forget(request: Request, device_id: str) -> Response:
    await form_fields(request)
    async with staff_work(request) as (session, viewer):
        try:
            key = uuid.UUID(device_id)
        except ValueError:
            key = None  # nothing of this user's has that id: nothing to remove
        if key is not None:
            await push.forget_device(
                session, tenant_id=viewer.tenant_id, user_id=viewer.user_id, device_id=key
            )
    flash(request, "Aparelho removido: ele não recebe mais notificações.")
    return RedirectResponse("/account", status_code=303)
