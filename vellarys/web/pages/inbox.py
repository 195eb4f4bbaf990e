"""The broker inbox: conversations with unread counts, a live feed (server-sent events),
quick replies, files, search, archive."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from vellarys.db.feed import MessageFeed
from vellarys.db.uow import unit_of_work
from vellarys.errors import BadRequest, Conflict, DatabaseUnavailable, NotFound
from vellarys.services import inbox, lead_acts
from vellarys.services.auth import Viewer
from vellarys.web.pages.forms import form_fields, form_file
from vellarys.web.pages.lead import lead_key
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import LoginRequired, container_of, flash, staff_work, viewer_of

router = APIRouter(route_class=WebRoute)

# The live feed reads the database when the listener says the agency's messages changed
# (LISTEN/NOTIFY, see db/feed.py), and every POLL seconds while the listener is down. A stream
# lasts a while, then the browser's EventSource reconnects (and signs in again), so a revoked
# session stops being fed.
STREAM_POLL_SECONDS = 1.0
STREAM_LIFETIME_SECONDS = 300.0
# Rows written in a transaction that commits later than its clock said are still caught.
STREAM_OVERLAP = timedelta(seconds=10)
KEEPALIVE_SECONDS = 15.0
# A signed-out or revoked session stops being fed within this plus the feed's idle wait.
SESSION_CHECK_SECONDS = 10.0


def _filters(request: Request) -> dict[str, bool]:
    params = request.query_params
    return {"archived": params.get("archived") == "1", "mine": params.get("mine") == "1"}


async def _page(request: Request, lead_id: uuid.UUID | None) -> Response:
    filters, query = _filters(request), request.query_params.get("q", "")
    clock = container_of(request).clock
    async with staff_work(request) as (session, viewer):
        opened = None
        if lead_id is not None:
            opened = await inbox.open_conversation(session, viewer, lead_id, now=clock.now())
        rows = await inbox.conversations(session, viewer, **filters)
        hits = await inbox.search(session, viewer, query) if query else []
    context = {"rows": rows, "opened": opened, "hits": hits, "query": query, **filters}
    return render(request, "inbox.html", context)


@router.get("/inbox")
async def inbox_page(request: Request) -> Response:
    return await _page(request, None)


@router.get("/inbox/list")
async def inbox_list(request: Request) -> Response:
    """The conversation list alone, refreshed when the live feed says something changed."""
    async with staff_work(request) as (session, viewer):
        rows = await inbox.conversations(session, viewer, **_filters(request))
    selected = request.query_params.get("open", "")
    return render(
        request,
        "partials/inbox_list.html",
        {"rows": rows, "selected": selected, **_filters(request)},
    )


@router.get("/inbox/unread")
async def inbox_unread(request: Request) -> Response:
    """The unread count beside "Conversas" in the menu."""
    async with staff_work(request) as (session, viewer):
        count = await inbox.unread_total(session, viewer)
    return Response(str(count) if count else "", media_type="text/plain; charset=utf-8")


@router.get("/inbox/events")
async def inbox_events(request: Request) -> Response:
    """Server-sent events: one ``message`` event per message written or updated in the
    viewer's conversations (new messages, delivery ticks, the assistant about to answer)."""
    async with staff_work(request) as (session, viewer):
        since = await inbox.feed_start(session)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(request, viewer, since), media_type="text/event-stream", headers=headers
    )


async def _stream(request: Request, viewer: Viewer, since: datetime) -> AsyncIterator[str]:
    feed = container_of(request).feed
    sent: dict[str, str] = {}
    yield "retry: 3000\n\n"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_LIFETIME_SECONDS
    checked = spoke = loop.time()
    with _subscription(feed, str(viewer.tenant_id)) as woken:
        while loop.time() < deadline and not await request.is_disconnected():
            woken.clear()  # before reading: a write after the read wakes the next wait
            check = loop.time() - checked >= SESSION_CHECK_SECONDS
            try:
                events, since = await _changes(request, viewer, since, check=check)
            except LoginRequired:
                return  # a revoked session ends the feed
            except DatabaseUnavailable:
                events = []  # kept open through an outage: read again after the wait
            checked = loop.time() if check else checked
            for event in events:
                if sent.get(event["message_id"]) != event["at"] + event["status"]:
                    sent[event["message_id"]] = event["at"] + event["status"]
                    spoke = loop.time()
                    yield f"event: message\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
            if loop.time() - spoke >= KEEPALIVE_SECONDS:
                spoke = loop.time()
                yield ": keepalive\n\n"
            idle = feed.idle_seconds if feed is not None and feed.live else STREAM_POLL_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), idle)


@contextlib.contextmanager
def _subscription(feed: MessageFeed | None, tenant_id: str) -> Iterator[asyncio.Event]:
    if feed is None:
        yield asyncio.Event()  # never set: the feed polls
        return
    with feed.subscribe(tenant_id) as woken:
        yield woken


async def _changes(
    request: Request, viewer: Viewer, since: datetime, *, check: bool
) -> tuple[list[dict[str, Any]], datetime]:
    sessions = container_of(request).sessions
    async with unit_of_work(sessions, tenant_id=viewer.tenant_id) as session:
        if check:
            await viewer_of(session, request)
        return await inbox.changes_since(session, viewer, since - STREAM_OVERLAP)


@router.get("/inbox/quick-replies")
async def quick_replies_page(request: Request) -> Response:
    async with staff_work(request) as (session, viewer):
        replies = await inbox.quick_replies(session, viewer)
    return render(request, "quick_replies.html", {"replies": replies})


@router.post("/inbox/quick-replies")
async def create_quick_reply(request: Request) -> Response:
    return await _save_quick_reply(request, None)


@router.post("/inbox/quick-replies/{reply_id}")
async def edit_quick_reply(request: Request, reply_id: str) -> Response:
    return await _save_quick_reply(request, _key(reply_id))


@router.post("/inbox/quick-replies/{reply_id}/delete")
async def delete_quick_reply(request: Request, reply_id: str) -> Response:
    async with staff_work(request) as (session, viewer):
        await inbox.delete_quick_reply(session, viewer, _key(reply_id))
    flash(request, "Resposta rápida apagada.")
    return RedirectResponse("/inbox/quick-replies", status_code=303)


async def _save_quick_reply(request: Request, reply_id: uuid.UUID | None) -> Response:
    fields = await form_fields(request)
    try:
        async with staff_work(request) as (session, viewer):
            await inbox.save_quick_reply(
                session,
                viewer,
                shortcut=fields.get("shortcut", ""),
                body=fields.get("body", ""),
                reply_id=reply_id,
            )
    except (BadRequest, Conflict) as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "Resposta rápida salva.")
    return RedirectResponse("/inbox/quick-replies", status_code=303)


def _key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("Resposta rápida não encontrada.") from exc


@router.get("/inbox/{lead_id}")
async def conversation_page(request: Request, lead_id: str) -> Response:
    return await _page(request, lead_key(lead_id))


@router.get("/inbox/{lead_id}/messages")
async def conversation_messages(request: Request, lead_id: str) -> Response:
    """The open conversation alone (refreshed by the live feed), marked read."""
    clock = container_of(request).clock
    async with staff_work(request) as (session, viewer):
        opened = await inbox.open_conversation(session, viewer, lead_key(lead_id), now=clock.now())
    return render(request, "partials/inbox_conversation.html", {"opened": opened})


@router.post("/inbox/{lead_id}/reply")
async def reply(request: Request, lead_id: str) -> Response:
    key, fields = lead_key(lead_id), await form_fields(request)
    return await _act(request, key, "reply", text=fields.get("text", ""))


@router.post("/inbox/{lead_id}/file")
async def send_file(request: Request, lead_id: str) -> Response:
    key, fields = lead_key(lead_id), await form_fields(request)
    upload = await form_file(request, "file")
    limit = container_of(request).pipeline.settings.media_max_bytes
    data = b"" if upload is None else await upload.read(limit + 1)
    name = "arquivo" if upload is None else upload.filename or "arquivo"
    return await _act(request, key, "file", data=data, name=name, text=fields.get("caption", ""))


@router.post("/inbox/{lead_id}/archive")
async def archive(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_key(lead_id), "archive")


@router.post("/inbox/{lead_id}/unarchive")
async def unarchive(request: Request, lead_id: str) -> Response:
    return await _act(request, lead_key(lead_id), "unarchive")


async def _act(
    request: Request,
    key: uuid.UUID,
    action: str,
    *,
    text: str = "",
    data: bytes = b"",
    name: str = "",
) -> Response:
    container = container_of(request)
    done = {
        "reply": "Mensagem enviada para a fila de envio.",
        "file": "Arquivo enviado para a fila de envio.",
        "archive": "Conversa arquivada.",
        "unarchive": "Conversa de volta à caixa de entrada.",
    }[action]
    try:
        async with staff_work(request) as (session, viewer):
            actor = viewer.actor
            if action == "reply":
                await lead_acts.send_broker_message(session, actor, lead_id=key, text=text)
            elif action == "file":
                await lead_acts.send_broker_file(
                    session,
                    container.pipeline,
                    actor,
                    lead_id=key,
                    data=data,
                    filename=name,
                    caption=text,
                )
            else:
                archived, now = action == "archive", container.clock.now()
                await inbox.set_archived(session, viewer, key, archived=archived, now=now)
    except (BadRequest, Conflict) as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, done)
    target = "/inbox" if action == "archive" else f"/inbox/{key}"
    return RedirectResponse(target, status_code=303)
