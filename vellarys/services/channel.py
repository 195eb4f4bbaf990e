"""Channels: add and list the WhatsApp numbers (and simulator) of an agency.

What each provider needs comes from its declaration in the adapters' registry. Secret
credentials are sealed with the deployment's key before they are stored; only the bootstrap
opens them, to build the adapter that sends and checks webhooks.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.outbound import check_url
from vellarys.adapters.whatsapp import REGISTRY, ProviderSpec
from vellarys.db.models import Channel
from vellarys.db.queries import channel as channel_queries
from vellarys.domain.address import UnsafeUrl
from vellarys.domain.ports import ChannelKeys
from vellarys.domain.secretbox import PREFIX, open_sealed, seal
from vellarys.errors import BadRequest, Conflict

# Meta's app secret has its own column (the webhook signature check reads it).
APP_SECRET = "app_secret"  # noqa: S105 (a field name)


def webhook_path(channel: Channel) -> str:
    return f"/webhooks/{channel.provider}/{channel.webhook_key}"


def _spec(provider: str) -> ProviderSpec:
    spec = REGISTRY.get(provider)
    if spec is None:
        raise BadRequest(f"Unknown provider {provider!r}.")
    return spec


async def _check_urls(spec: ProviderSpec, values: Mapping[str, str], allow_private: bool) -> None:
    for key in spec.url_keys:
        if values.get(key):
            try:
                await check_url(values[key], allow_private=allow_private)
            except UnsafeUrl as exc:
                raise BadRequest(f"{key}: {exc}") from exc


def seal_values(
    spec: ProviderSpec, values: Mapping[str, str], secret_key: str | None
) -> dict[str, str]:
    """The declared credentials with every secret one sealed (empty values dropped)."""
    kept = {f.key: values[f.key].strip() for f in spec.fields if values.get(f.key, "").strip()}
    if secret_key is None and any(key in spec.secret_keys for key in kept):
        raise ValueError("storing a channel's secret credentials needs the secret key")
    return {
        key: seal(value, secret_key=secret_key or "") if key in spec.secret_keys else value
        for key, value in kept.items()
    }


def open_value(value: str, secret_key: str) -> str:
    """A stored credential in clear ("" when it cannot be opened with this key)."""
    if not value.startswith(PREFIX):
        return value  # a non-secret value (a URL)
    return open_sealed(value, secret_key=secret_key) or ""


def open_credentials(channel: ChannelKeys, secret_key: str) -> dict[str, str]:
    """Every credential of ``channel`` in clear, for building its adapter."""
    opened = {key: open_value(str(v), secret_key) for key, v in channel.credentials.items()}
    if channel.app_secret:
        opened[APP_SECRET] = open_value(channel.app_secret, secret_key)
    return opened


async def add_channel(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    provider: str,
    identity: str,
    credentials: Mapping[str, str],
    secret_key: str | None = None,
    allow_private_urls: bool = False,
    verify_token: str | None = None,
    name: str | None = None,
) -> Channel:
    """Create a channel with its own unguessable webhook key (and verify token for Meta).

    ``credentials`` hold the fields the provider declares; secret ones are stored sealed.
    """
    spec = _spec(provider)
    missing = [key for key in spec.required_keys if not credentials.get(key, "").strip()]
    if missing or not identity.strip():
        raise BadRequest(f"Missing for {provider}: {', '.join(missing or ['identity'])}.")
    await _check_urls(spec, credentials, allow_private_urls)
    stored = seal_values(spec, credentials, secret_key)
    channel = Channel(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        provider=provider,
        identity=identity.strip(),
        name=name or spec.label,
        webhook_key=secrets.token_urlsafe(24),
        verify_token=verify_token or (secrets.token_urlsafe(18) if provider == "meta" else None),
        app_secret=stored.pop(APP_SECRET, None),
        credentials=stored,
    )
    try:
        async with session.begin_nested():
            session.add(channel)
    except IntegrityError as exc:
        raise Conflict(f"A {provider} channel for {identity!r} already exists.") from exc
    return channel


async def list_channels(session: AsyncSession, tenant_id: uuid.UUID) -> list[Channel]:
    return await channel_queries.for_tenant(session, tenant_id)
