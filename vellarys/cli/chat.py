"""``vellarys chat``: talk to an agency's assistant as a lead, through the real pipeline."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from vellarys.bootstrap import Container
from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services.accounts import tenant_by_slug
from vellarys.services.simulator import (
    Conversation,
    SimulatedMessage,
    lead_summary,
    replies_after,
    send_as_lead,
    send_media_as_lead,
)
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue

# How long to wait for the reply (a running server's worker may answer it instead of us).
REPLY_TIMEOUT_SECONDS = 120


async def _exchange(container: Container, tenant: str, phone: str, text: str) -> Conversation:
    async with unit_of_work(container.sessions) as session:
        agency = await tenant_by_slug(session, tenant)
        sent = await send_as_lead(
            session, container.pipeline, tenant=agency, phone=phone, text=text
        )
    return await _await_replies(container, sent)


async def _send_file(
    container: Container, tenant: str, phone: str, upload: MediaUpload
) -> Conversation:
    async with unit_of_work(container.sessions) as session:
        agency = await tenant_by_slug(session, tenant)
        sent = await send_media_as_lead(
            session,
            container.pipeline,
            tenant=agency,
            phone=phone,
            kind=upload.kind,
            data=upload.path.read_bytes(),
            content_type=upload.content_type,
            caption=upload.caption,
        )
    return await _await_replies(container, sent)


@dataclass(frozen=True, slots=True)
class MediaUpload:
    kind: str
    path: Path
    content_type: str
    caption: str = ""


def _upload(audio: Path | None, image: Path | None, caption: str) -> MediaUpload | None:
    if audio is not None and image is not None:
        raise fail("Send --audio or --image, not both.")
    path = audio or image
    if path is None:
        return None
    if not path.is_file():
        raise fail(f"No such file: {path}")
    kind = "audio" if audio is not None else "image"
    guessed = mimetypes.guess_type(path.name)[0] or ""
    content_type = (
        guessed
        if guessed.startswith(f"{kind}/")
        else f"{kind}/{path.suffix.lstrip('.') or 'octet-stream'}"
    )
    return MediaUpload(kind, path, content_type, caption)


async def _await_replies(container: Container, sent: SimulatedMessage) -> Conversation:
    """Work the queue ourselves until the reply is out (or another worker did it)."""
    runtime.install(container)
    queue = make_queue(container.database_url, application_name="vellarys_chat")
    deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS
    async with queue.open_async():
        while True:
            await queue.run_worker_async(
                wait=False, install_signal_handlers=False, queues=["pipeline", "outbound"]
            )
            async with unit_of_work(container.sessions) as session:
                conversation = await replies_after(session, sent)
            if conversation.done or time.monotonic() > deadline:
                return conversation
            await asyncio.sleep(0.1)


def _render(conversation: Conversation, as_json: bool) -> None:
    replies = [m.content for m in conversation.replies]
    if as_json:
        payload: dict[str, Any] = {"replies": replies, "lead": lead_summary(conversation.lead)}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    for reply in replies:
        typer.echo(f"🤖 {reply}\n")


def chat(
    message: Annotated[str | None, typer.Argument(help="The lead's message; omit to chat.")] = None,
    tenant: Annotated[str, typer.Option(help="Agency slug.")] = "demo",
    phone: Annotated[str, typer.Option(help="The lead's phone.")] = "+5511999990000",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print replies and lead as JSON.")
    ] = False,
    audio: Annotated[
        Path | None, typer.Option(help="Send this voice note (ogg, mp3, wav...) as the lead.")
    ] = None,
    image: Annotated[Path | None, typer.Option(help="Send this picture as the lead.")] = None,
    caption: Annotated[str, typer.Option(help="The picture's caption.")] = "",
    data_dir: DataDir = None,
) -> None:
    """Send a message (or a voice note, or a picture) as a lead through the simulator
    channel and print the assistant's reply."""
    # The chat answers at once: a person is waiting at the terminal.
    settings = settings_from(data_dir, debounce_seconds=0, send_pace_seconds=0)
    upload = _upload(audio, image, caption)

    async def run() -> None:
        async with command_container(settings) as container:
            if upload is not None:
                _render(await _send_file(container, tenant, phone, upload), as_json)
                return
            if message is not None:
                _render(await _exchange(container, tenant, phone, message), as_json)
                return
            typer.echo("Escreva como um lead (Ctrl+D para sair).\n")
            while True:
                try:
                    line = await asyncio.to_thread(input, "você> ")
                except EOFError:
                    return
                if line.strip():
                    _render(await _exchange(container, tenant, phone, line), as_json)

    try:
        asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
