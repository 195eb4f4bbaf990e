"""Provider webhooks: verify, parse, store and enqueue in one transaction, then answer 200."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from vellarys.adapters.whatsapp import CONNECTABLE
from vellarys.adapters.whatsapp.meta_cloud import verify_subscription
from vellarys.api.deps import get_container
from vellarys.api.errors import error_body
from vellarys.bootstrap import Container
from vellarys.db.models import Channel
from vellarys.db.queries import channel as channel_queries
from vellarys.db.uow import unit_of_work
from vellarys.domain.message import scrub
from vellarys.domain.rate_limit import Over
from vellarys.errors import NotFound, VellarysError
from vellarys.services import ack
from vellarys.services.ingest import IngestResult, notify_rate_limited, receive_webhook
from vellarys.telemetry import metrics
from vellarys.telemetry.logs import log_context

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
PROVIDERS = CONNECTABLE  # the simulator has no webhook


async def _container(request: Request) -> Container:
    # A coroutine: a plain ``def`` dependency costs a thread-pool hop on every webhook.
    return get_container(request)


ContainerDep = Annotated[Container, Depends(_container)]


async def _channel(container: Container, provider: str, key: str) -> Channel:
    if provider not in PROVIDERS:
        raise NotFound("Unknown webhook.")
    async with unit_of_work(container.sessions) as session:
        channel = await channel_queries.by_webhook_key(session, provider, key)
    if channel is None:
        raise NotFound("Unknown webhook.")
    return channel


@router.get("/{provider}/{key}", response_class=PlainTextResponse)
async def verify(provider: str, key: str, request: Request, container: ContainerDep) -> str:
    """Meta's subscription handshake: echo hub.challenge when hub.verify_token matches."""
    channel = await _channel(container, provider, key)
    return verify_subscription(dict(request.query_params), channel.verify_token or "")


@router.post("/{provider}/{key}")
async def receive(provider: str, key: str, request: Request, container: ContainerDep) -> Response:
    body = await request.body()
    try:
        result = await _ingest(container, provider, key, body, dict(request.headers))
    except VellarysError as exc:
        metrics.WEBHOOKS.labels(provider, str(exc.status_code)).inc()
        return JSONResponse(error_body(type(exc).__name__, exc.message), exc.status_code)
    except (OSError, SQLAlchemyError) as exc:
        # The provider retries on 5xx: nothing is lost while the database is away.
        log.error("webhook could not be stored", extra={"error": str(exc)[:300]})
        metrics.WEBHOOKS.labels(provider, "503").inc()
        body_503 = error_body("DatabaseUnavailable", "Temporarily unavailable; retry later.")
        return JSONResponse(body_503, 503)
    metrics.WEBHOOKS.labels(provider, "200").inc()
    _count(provider, result)
    return JSONResponse({"status": "ok", **result.as_dict()})


async def _ingest(
    container: Container, provider: str, key: str, body: bytes, headers: dict[str, str]
) -> IngestResult:
    """Plain messages take the lean path (``services.ack``: cached channel, one statement
    each); anything else, or anything that path hands back, the full one."""
    if provider not in PROVIDERS:
        raise NotFound("Unknown webhook.")
    if container.settings.webhook_fast_path:
        done = await ack.acknowledge(
            container.ack_pool,
            container.pipeline,
            container.channel_cache,
            provider=provider,
            key=key,
            body=body,
            headers=headers,
        )
        if done is not None:
            await _notify_over(container, done)
            return done.result
    return await _ingest_fully(container, provider, key, body, headers)


async def _notify_over(container: Container, done: ack.Ack) -> None:
    """The polite notice each lead past its limit gets (its answer is already queued)."""
    for tenant_id, lead_id, over in done.over:
        with log_context(tenant_id=tenant_id, lead_id=lead_id):
            async with unit_of_work(container.sessions) as session:
                await notify_rate_limited(
                    session, tenant_id=tenant_id, lead_id=lead_id, over=cast(Over, over)
                )


async def _ingest_fully(
    container: Container, provider: str, key: str, body: bytes, headers: dict[str, str]
) -> IngestResult:
    """Find the channel, check the signature, store and enqueue: one transaction, one
    connection checkout (the ack latency is mostly database round trips)."""
    async with unit_of_work(container.sessions) as session:
        channel = await channel_queries.by_webhook_key(session, provider, key)
        if channel is None:
            raise NotFound("Unknown webhook.")
        with log_context(tenant_id=channel.tenant_id, channel_id=channel.id):
            adapter = container.pipeline.provider_for(channel)
            adapter.verify_request(body, headers)
            batch = adapter.parse_webhook(body)
            return await receive_webhook(
                session, container.pipeline, channel=channel, batch=batch, raw=_raw(body)
            )


def _raw(body: bytes) -> dict[str, Any] | None:
    """The body as JSON to keep with each message, scrubbed of what jsonb cannot hold."""
    try:
        decoded = scrub(json.loads(body))
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else {"payload": decoded}


def _count(provider: str, result: IngestResult) -> None:
    counts = result.as_dict()
    counts["stored"] = len(result.stored)
    for status in (
        "stored",
        "duplicates",
        "stale",
        "echoes",
        "ignored",
        "rejected",
        "rate_limited",
    ):
        if counts[status]:
            metrics.INBOUND.labels(provider, status).inc(counts[status])
