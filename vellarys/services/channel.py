"""Channels: add and list the WhatsApp numbers (and simulator) of an agency."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel
from vellarys.db.queries import channel as channel_queries
from vellarys.errors import BadRequest, Conflict

# Credential keys each provider needs (beyond the identity), as build_provider reads them.
REQUIRED_CREDENTIALS: Mapping[str, tuple[str, ...]] = {
    "meta": ("access_token",),
    "zapi": ("token",),
    "evolution": ("api_key", "base_url"),
    "simulator": (),
}
NAMES = {
    "meta": "WhatsApp Cloud API",
    "zapi": "Z-API",
    "evolution": "Evolution API",
    "simulator": "Simulador",
}


def webhook_path(channel: Channel) -> str:
    return f"/webhooks/{channel.provider}/{channel.webhook_key}"


async def add_channel(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    provider: str,
    identity: str,
    credentials: Mapping[str, str],
    app_secret: str | None = None,
    verify_token: str | None = None,
    name: str | None = None,
) -> Channel:
    """Create a channel with its own unguessable webhook key (and verify token for Meta)."""
    if provider not in REQUIRED_CREDENTIALS:
        raise BadRequest(f"Unknown provider {provider!r}.")
    missing = [key for key in REQUIRED_CREDENTIALS[provider] if not credentials.get(key)]
    if provider == "meta" and not app_secret:
        missing.append("app_secret")
    if missing or not identity.strip():
        raise BadRequest(f"Missing for {provider}: {', '.join(missing or ['identity'])}.")
    channel = Channel(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        provider=provider,
        identity=identity.strip(),
        name=name or NAMES[provider],
        webhook_key=secrets.token_urlsafe(24),
        verify_token=verify_token or (secrets.token_urlsafe(18) if provider == "meta" else None),
        app_secret=app_secret,
        credentials={k: v for k, v in credentials.items() if v},
    )
    try:
        async with session.begin_nested():
            session.add(channel)
    except IntegrityError as exc:
        raise Conflict(f"A {provider} channel for {identity!r} already exists.") from exc
    return channel


async def list_channels(session: AsyncSession, tenant_id: uuid.UUID) -> list[Channel]:
    return await channel_queries.for_tenant(session, tenant_id)
