"""Chat with the assistant as a lead would, through the real pipeline (simulator channel)."""

from __future__ import annotations

import asyncio
import logging
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.queries import tenant as tenant_queries
from vellarys.errors import BadRequest, NotFound
from vellarys.services import dashboard
from vellarys.services.simulator import send_as_lead, send_media_as_lead
from vellarys.web.pages.forms import form_fields, form_file
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, staff_work

router = APIRouter(route_class=WebRoute)
log = logging.getLogger(__name__)
# Strong references to in-flight queue runs, so they are not garbage-collected mid-way.
_RUNS: set[asyncio.Task[None]] = set()


def _phone(request: Request, *, fresh: bool = False) -> str:
    phone = request.session.get("sim_phone")
    if fresh or not isinstance(phone, str):
        # A made-up São Paulo mobile number per browser session: each tester is their own lead.
        phone = "+55119" + "".join(secrets.choice("0123456789") for _ in range(8))
        request.session["sim_phone"] = phone
    return phone


def _run_jobs(request: Request) -> None:
    """Work the queue in this process when the app was given a runner (no separate worker)."""
    runner = getattr(request.app.state, "web_run_jobs", None)
    if runner is None:
        return
    task: asyncio.Task[None] = asyncio.create_task(runner())
    _RUNS.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[None]) -> None:
    _RUNS.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("simulator job run failed", extra={"error": str(task.exception())[:300]})


async def _chat(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    phone = _phone(request)
    async with staff_work(request) as (session, viewer):
        chat = await dashboard.simulator_chat(session, viewer, phone=phone)
    name = (
        "simulator.html"
        if not request.headers.get("HX-Request")
        else "partials/simulator_chat.html"
    )
    return render(request, name, {"chat": chat, "phone": phone, "error": error}, status=status)


@router.get("/simulator")
async def simulator(request: Request) -> Response:
    return await _chat(request)


@router.get("/simulator/chat")
async def simulator_chat(request: Request) -> Response:
    return await _chat(request)


@router.post("/simulator/send")
async def send(request: Request) -> Response:
    fields = await form_fields(request)
    container = container_of(request)
    try:
        async with staff_work(request) as (session, viewer):
            tenant = await tenant_queries.get(session, viewer.tenant_id)
            if tenant is None:
                raise NotFound()
            await send_as_lead(
                session,
                container.pipeline,
                tenant=tenant,
                phone=_phone(request),
                text=fields.get("text", ""),
                name=fields.get("name") or None,
            )
    except BadRequest:
        return await _chat(request, error="Escreva uma mensagem antes de enviar.", status=400)
    _run_jobs(request)
    if request.headers.get("HX-Request"):
        return await _chat(request)
    return RedirectResponse("/simulator", status_code=303)


def _kind(content_type: str) -> str:
    """The message kind a file of this type arrives as on WhatsApp."""
    for prefix, kind in (("audio/", "audio"), ("image/", "image"), ("video/", "video")):
        if content_type.startswith(prefix):
            return kind
    return "document"


@router.post("/simulator/upload")
async def upload(request: Request) -> Response:
    """A voice note, picture or document sent as the lead (read and answered by the job)."""
    fields, upload = await form_fields(request), await form_file(request, "file")
    container = container_of(request)
    if upload is None:
        return await _chat(request, error="Escolha um arquivo para enviar.", status=400)
    limit = container.pipeline.settings.media_max_bytes
    data = await upload.read(limit + 1)
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    try:
        async with staff_work(request) as (session, viewer):
            tenant = await tenant_queries.get(session, viewer.tenant_id)
            if tenant is None:
                raise NotFound()
            await send_media_as_lead(
                session,
                container.pipeline,
                tenant=tenant,
                phone=_phone(request),
                kind=_kind(content_type),
                data=data,
                content_type=content_type,
                caption=fields.get("caption", ""),
            )
    except BadRequest as exc:
        return await _chat(request, error=exc.message, status=400)
    _run_jobs(request)
    if request.headers.get("HX-Request"):
        return await _chat(request)
    return RedirectResponse("/simulator", status_code=303)


@router.post("/simulator/reset")
async def reset(request: Request) -> Response:
    async with staff_work(request):  # signed-in staff only, like every other page
        _phone(request, fresh=True)
    return RedirectResponse("/simulator", status_code=303)
