"""The old design, for comparison: a webhook that processes the message inside the request.

What the reference system did: verify, parse, store the message, compose the reply and send
it to the provider, and only then answer 200. It reuses Vellarys' own services so that the
only difference from ``vellarys.api.webhooks`` is *where* the processing runs:

    receive_webhook -> handle_inbound (same transaction) -> claim_send / send_text / record_sent

(``receive_webhook`` and ``queue_outbound`` still insert their queue jobs; no worker runs on
the baseline's database, so they only cost the baseline a few inserts.)

Served by ``bench.pipeline`` with ``python -m uvicorn bench.baseline:create_app --factory``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.api.errors import error_body
from vellarys.bootstrap import Container, build
from vellarys.config import Settings
from vellarys.db.models import Message
from vellarys.db.queries import channel as channel_queries
from vellarys.db.uow import unit_of_work
from vellarys.errors import NotFound, ProviderError, VellarysError
from vellarys.services import outbound
from vellarys.services.inbound import handle_inbound
from vellarys.services.ingest import receive_webhook


def create_app() -> FastAPI:
    container = build(Settings())
    app = FastAPI(title="baseline: processing in the request")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/{provider}/{key}")
    async def receive(provider: str, key: str, request: Request) -> Response:
        body = await request.body()
        try:
            replies = await _process(container, provider, key, body, dict(request.headers))
        except VellarysError as exc:
            return JSONResponse(error_body(type(exc).__name__, exc.message), exc.status_code)
        return JSONResponse({"status": "ok", "replies": replies})

    return app


async def _process(
    container: Container, provider: str, key: str, body: bytes, headers: dict[str, str]
) -> int:
    """Store, answer and send, all before the provider gets its 200."""
    deps = container.pipeline
    async with unit_of_work(container.sessions) as session:
        channel = await channel_queries.by_webhook_key(session, provider, key)
    if channel is None:
        raise NotFound("Unknown webhook.")
    adapter = deps.provider_for(channel)
    adapter.verify_request(body, headers)
    batch = adapter.parse_webhook(body)
    pending: list[uuid.UUID] = []
    async with unit_of_work(container.sessions) as session:
        result = await receive_webhook(session, deps, channel=channel, batch=batch, raw=_raw(body))
        for message_id in result.stored:
            outcome = await handle_inbound(session, deps, message_id=uuid.UUID(message_id))
            if outcome.replies:
                pending += await _replies_to(session, channel.tenant_id, message_id)
    for reply_id in pending:
        await _send(container, reply_id)
    return len(pending)


async def _replies_to(
    session: AsyncSession, tenant_id: uuid.UUID, message_id: str
) -> list[uuid.UUID]:
    """The pending reply parts this request composed (not a concurrent request's)."""
    found = await session.execute(
        select(Message.id)
        .where(
            Message.tenant_id == tenant_id,
            Message.direction == "outbound",
            Message.status == "pending",
            Message.media["in_reply_to"].astext == message_id,
        )
        .order_by(Message.created_at)
    )
    return list(found.scalars())


async def _send(container: Container, message_id: uuid.UUID) -> None:
    deps = container.pipeline
    async with unit_of_work(container.sessions) as session:
        plan = await outbound.claim_send(session, deps, message_id=message_id)
    if plan is None:
        return  # a concurrent request of the same lead sent it already
    try:
        external_id = await deps.provider_for(plan.channel).send_text(to=plan.to, text=plan.text)
    except ProviderError as error:
        async with unit_of_work(container.sessions) as session:
            await outbound.record_failure(session, deps, plan=plan, error=error)
        return
    async with unit_of_work(container.sessions) as session:
        await outbound.record_sent(session, deps, plan=plan, external_id=external_id)


def _raw(body: bytes) -> dict[str, Any] | None:
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else {"payload": decoded}
