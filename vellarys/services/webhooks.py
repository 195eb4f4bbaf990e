"""Outgoing webhooks: an agency's endpoints, the events raised for them, and their delivery.

``emit`` is called in the unit of work of the act it reports (a lead created, handed off,
moved to another stage, a message received): the delivery rows and their jobs commit with
the act or not at all. The job then POSTs the signed body outside any transaction and
records the attempt; a failure is tried again with backoff (``domain.webhook``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.outbound import check_url
from vellarys.adapters.webhook_sender import Attempt, post_event
from vellarys.db import queue
from vellarys.db.models import Lead, Tenant, WebhookDelivery, WebhookEndpoint
from vellarys.db.queries import integration as queries
from vellarys.domain import features
from vellarys.domain.address import UnsafeUrl
from vellarys.domain.secretbox import open_sealed, seal
from vellarys.domain.webhook import (
    LEAD_HOT,
    LEAD_STAGE_CHANGED,
    TEST_EVENT,
    check_events,
    new_secret,
    retry_delay,
)
from vellarys.errors import BadRequest, NotFound

MAX_ENDPOINTS = 10
MAX_URL = 2000
# The delivery log keeps finished deliveries this long (all agencies).
KEEP_DELIVERIES_DAYS = 30


@dataclass(frozen=True, slots=True)
class DeliveryPlan:
    """What the job POSTs: the body as signed, where, with which secret."""

    delivery_id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    event: str
    body: bytes
    secret: str


async def add_endpoint(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    url: str,
    events: Iterable[str],
    secret_key: str,
    allow_private: bool,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once; stored sealed)."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise BadRequest(f"Informe o endereço do webhook (até {MAX_URL} caracteres).")
    try:
        chosen = check_events(events)
        await check_url(url, allow_private=allow_private)
    except (ValueError, UnsafeUrl) as exc:
        raise BadRequest(f"Webhook: {exc}") from exc
    if len(await queries.endpoints(session, tenant_id)) >= MAX_ENDPOINTS:
        raise BadRequest(f"No máximo {MAX_ENDPOINTS} webhooks por imobiliária.")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        url=url,
        events=chosen,
        secret=seal(secret, secret_key=secret_key),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def remove_endpoint(
    session: AsyncSession, *, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> None:
    """Delete the endpoint and its delivery log."""
    endpoint = await _endpoint(session, tenant_id, endpoint_id)
    await session.delete(endpoint)
    await session.flush()


async def _endpoint(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await queries.endpoint(session, tenant_id, endpoint_id)
    if endpoint is None:
        raise NotFound("Webhook não encontrado.")
    return endpoint


async def list_endpoints(session: AsyncSession, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
    return await queries.endpoints(session, tenant_id)


async def delivery_log(session: AsyncSession, tenant_id: uuid.UUID) -> list[WebhookDelivery]:
    """The agency's latest deliveries, newest first."""
    return await queries.recent_deliveries(session, tenant_id)


def lead_data(lead: Lead) -> dict[str, Any]:
    """A lead as webhook receivers get it."""
    return {
        "id": str(lead.id),
        "name": lead.name,
        "phone": lead.phone,
        "stage": lead.stage,
        "temperature": lead.temperature,
        "score": lead.score,
        "source": lead.source,
        "campaign": lead.campaign,
        "assigned_user_id": str(lead.assigned_user_id) if lead.assigned_user_id else None,
        "profile": dict(lead.custom_data or {}),
    }


async def emit(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    event: str,
    data: dict[str, Any],
    now: datetime | None = None,
) -> int:
    """Queue ``event`` for every active endpoint of the agency that subscribed to it (none
    when the operator switched the agency's outgoing webhooks off). Without ``now``, the
    database's clock, read only when some endpoint is there to receive it."""
    tenant = await session.get(Tenant, tenant_id)
    if tenant is not None and not features.enabled(tenant.features, features.WEBHOOKS):
        return 0
    endpoints = await queries.subscribed(session, tenant_id, event)
    if not endpoints:
        return 0
    at = now if now is not None else await queries.database_now(session)
    for endpoint in endpoints:
        await _queue(session, endpoint, event=event, data=data, now=at)
    return len(endpoints)


async def announce_stage(session: AsyncSession, lead: Lead, *, before: str) -> int:
    """``lead.stage_changed``, from ``before`` to the lead's stage now."""
    data = {**lead_data(lead), "previous_stage": before}
    return await emit(session, tenant_id=lead.tenant_id, event=LEAD_STAGE_CHANGED, data=data)


async def announce_changes(
    session: AsyncSession, lead: Lead, *, stage: str, temperature: str
) -> None:
    """After the assistant answered: ``lead.stage_changed`` and, when the lead just turned
    hot, ``lead.hot``."""
    if lead.stage != stage:
        await announce_stage(session, lead, before=stage)
    if lead.temperature == "hot" and temperature != "hot":
        await emit(session, tenant_id=lead.tenant_id, event=LEAD_HOT, data=lead_data(lead))


async def _queue(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    *,
    event: str,
    data: dict[str, Any],
    now: datetime,
) -> WebhookDelivery:
    payload = {"id": str(uuid.uuid4()), "type": event, "created_at": now.isoformat(), "data": data}
    delivery = queries.add_delivery(session, endpoint, event=event, payload=payload)
    await session.flush()
    await queue.defer_deliver_webhook(session, delivery_id=delivery.id)
    return delivery


async def send_test(
    session: AsyncSession, *, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to one endpoint, whatever it subscribed to."""
    endpoint = await _endpoint(session, tenant_id, endpoint_id)
    data = {"message": "Evento de teste do Vellarys."}
    return await _queue(session, endpoint, event=TEST_EVENT, data=data, now=now)


async def plan_delivery(
    session: AsyncSession, *, delivery_id: uuid.UUID, secret_key: str
) -> DeliveryPlan | None:
    """What to POST for a pending delivery; None when it is done, gone or unreadable."""
    found = await queries.delivery_for_update(session, delivery_id)
    if found is None or found[0].status != "pending":
        return None
    delivery, endpoint = found
    secret = open_sealed(endpoint.secret, secret_key=secret_key)
    if secret is None or not endpoint.active:
        delivery.status = "failed"
        delivery.error = "webhook desativado" if secret else "segredo ilegível (chave trocada?)"
        return None
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    return DeliveryPlan(delivery.id, delivery.tenant_id, endpoint.url, delivery.event, body, secret)


async def attempt_delivery(
    plan: DeliveryPlan, *, timestamp: int, allow_private: bool, seconds: float
) -> Attempt:
    """One POST of the planned body, signed at ``timestamp`` (no database work)."""
    return await post_event(
        plan.url,
        body=plan.body,
        secret=plan.secret,
        event=plan.event,
        delivery_id=str(plan.delivery_id),
        timestamp=timestamp,
        allow_private=allow_private,
        seconds=seconds,
    )


async def record_attempt(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    attempt: Attempt,
    now: datetime,
    retry_base_seconds: float,
) -> datetime | None:
    """Record one POST; return when to try again, or None (delivered, or out of tries)."""
    found = await queries.delivery_for_update(session, delivery_id)
    if found is None:
        return None
    delivery = found[0]
    delivery.attempts += 1
    delivery.response_status = attempt.status
    delivery.error = attempt.error
    if attempt.delivered:
        delivery.status, delivery.delivered_at = "delivered", now
        return None
    delay = retry_delay(delivery.attempts, base_seconds=retry_base_seconds)
    if delay is None:
        delivery.status = "failed"
        return None
    return now + timedelta(seconds=delay)


async def prune_deliveries(session: AsyncSession, *, now: datetime) -> int:
    """Delete the log's finished deliveries older than ``KEEP_DELIVERIES_DAYS``."""
    return await queries.prune_deliveries(
        session, older_than=now - timedelta(days=KEEP_DELIVERIES_DAYS)
    )
