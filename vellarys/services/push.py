"""Web push of alerts to staff phones and computers.

The in-app alerts are the triggers: whoever records an alert (manager alerts, visit notices,
a handoff to a broker) calls ``announce``, which queues a push when the user chose that kind
and has a device. The ``send_push`` job then encrypts and signs one push per device
(``adapters.webpush``) and records how it went; a device the push service no longer knows is
forgotten."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters import webpush
from vellarys.adapters.outbound import check_url
from vellarys.adapters.webpush import PushResult, Subscriber, b64url_bytes
from vellarys.db import queue
from vellarys.db.models import Notification, PushSubscription
from vellarys.db.queries import push as push_queries
from vellarys.domain.address import UnsafeUrl
from vellarys.domain.push import PushMessage, chosen_kinds, message_for, push_kind
from vellarys.errors import BadRequest

MAX_ENDPOINT = 2000


def vapid_public_key(*, configured: str | None, data_dir: Path) -> str:
    """The key browsers subscribe with; the private half is generated on first use."""
    return webpush.public_key(webpush.load_vapid(configured=configured, data_dir=data_dir))


async def announce(
    session: AsyncSession, *, notification_id: uuid.UUID | None, run_at: datetime | None = None
) -> bool:
    """Queue the push of a just-recorded alert (None: the alert existed, nothing to do) when
    its user chose that kind and has a device."""
    if notification_id is None:
        return False
    note = await session.get(Notification, notification_id)
    if note is None or push_kind(note.kind) is None:
        return False
    if push_kind(note.kind) not in await push_queries.kinds_of(
        session, note.tenant_id, note.user_id
    ):
        return False
    # Most staff never turn push on: no job for a user without a device.
    if not await push_queries.has_device(session, note.tenant_id, note.user_id):
        return False
    await queue.defer_send_push(session, notification_id=note.id, run_at=run_at)
    return True


# --- the user's page -----------------------------------------------------------------------


async def subscribe(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    subscription: Mapping[str, object],
    user_agent: str | None,
    allow_private: bool,
) -> None:
    """Keep a browser's subscription (``PushSubscription.toJSON()``) for this user."""
    endpoint, keys = subscription.get("endpoint"), subscription.get("keys")
    if not isinstance(endpoint, str) or not isinstance(keys, dict):
        raise BadRequest("Inscrição inválida: faltam endpoint e chaves.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str):
        raise BadRequest("Inscrição inválida: faltam as chaves p256dh e auth.")
    _check_keys(p256dh, auth)
    if len(endpoint) > MAX_ENDPOINT:
        raise BadRequest("Inscrição inválida: endpoint longo demais.")
    try:
        await check_url(endpoint, allow_private=allow_private)
    except UnsafeUrl as exc:
        raise BadRequest(f"Inscrição recusada: {exc}.") from exc
    await push_queries.save_subscription(
        session,
        tenant_id,
        user_id=user_id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        user_agent=(user_agent or "")[:300] or None,
    )


def _check_keys(p256dh: str, auth: str) -> None:
    try:
        point, secret = b64url_bytes(p256dh), b64url_bytes(auth)
    except ValueError as exc:
        raise BadRequest("Inscrição inválida: chaves fora do formato base64url.") from exc
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise BadRequest("Inscrição inválida: chaves de tamanho errado.")


async def devices(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[PushSubscription]:
    return await push_queries.of_user(session, tenant_id, user_id)


async def forget_device(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, device_id: uuid.UUID
) -> bool:
    return await push_queries.remove(session, tenant_id, user_id, device_id) > 0


async def set_choices(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, kinds: Sequence[str]
) -> list[str]:
    """Which events push to this user; unknown kinds are ignored."""
    chosen = chosen_kinds(list(kinds))
    await push_queries.set_kinds(session, tenant_id, user_id, chosen)
    return chosen


async def choices(session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    return chosen_kinds(await push_queries.kinds_of(session, tenant_id, user_id))


# --- the job -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PushPlan:
    notification_id: uuid.UUID
    tenant_id: uuid.UUID
    message: PushMessage
    devices: tuple[tuple[uuid.UUID, Subscriber], ...]


async def plan_push(session: AsyncSession, *, notification_id: uuid.UUID) -> PushPlan | None:
    """What to push for an alert and to which devices; None (and why, on the alert) when
    nothing goes: pushed already, the user turned that kind off, or has no device."""
    note = await session.get(Notification, notification_id)
    if note is None or note.push_status is not None:
        return None
    kind = push_kind(note.kind)
    chosen = await push_queries.kinds_of(session, note.tenant_id, note.user_id)
    if kind is None or kind not in chosen:
        note.push_status = "off"
        return None
    found = await push_queries.of_user(session, note.tenant_id, note.user_id)
    if not found:
        note.push_status = "no_device"
        return None
    lead = str(note.lead_id) if note.lead_id else None
    message = message_for(kind=kind, text=note.text, lead_id=lead, ref=note.ref)
    targets = tuple((d.id, Subscriber(d.endpoint, d.p256dh, d.auth)) for d in found)
    return PushPlan(note.id, note.tenant_id, message, targets)


async def record_push(
    session: AsyncSession, *, plan: PushPlan, results: Mapping[uuid.UUID, PushResult]
) -> str:
    """Forget devices the push service no longer knows; mark the alert sent or failed."""
    for device_id, result in results.items():
        device = await session.get(PushSubscription, device_id)
        if device is None:
            continue
        if result.gone:
            await session.delete(device)
        else:
            device.last_error = result.error
    note = await session.get(Notification, plan.notification_id)
    status = "sent" if any(r.delivered for r in results.values()) else "failed"
    if note is not None:
        note.push_status = status
    return status
