"""The approved WhatsApp templates of a channel: what follow-ups, reactivations and notices
use outside the Cloud API's 24-hour window. Gateways (Z-API, Evolution) have no window."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel
from vellarys.db.queries import channel as channel_queries
from vellarys.domain.template import WhatsAppTemplate, make_template, stored_templates
from vellarys.errors import BadRequest, NotFound


async def _channel(
    session: AsyncSession, tenant_id: uuid.UUID, channel_id: uuid.UUID | None
) -> Channel:
    if channel_id is not None:
        channel = await channel_queries.get(session, tenant_id, channel_id)
        if channel is None:
            raise NotFound("Canal não encontrado.")
        return channel
    metas = [
        c for c in await channel_queries.for_tenant(session, tenant_id) if c.provider == "meta"
    ]
    if len(metas) != 1:
        raise BadRequest(
            f"Informe o canal (--channel): a imobiliária tem {len(metas)} canais Meta."
        )
    return metas[0]


async def add_template(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    channel_id: uuid.UUID | None,
    name: str,
    language: str,
    purpose: str,
    variables: Sequence[str],
) -> tuple[Channel, WhatsAppTemplate]:
    """Add (or replace, by name and language) an approved template of a channel."""
    channel = await _channel(session, tenant_id, channel_id)
    try:
        template = make_template(name=name, language=language, purpose=purpose, variables=variables)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    kept = [
        t
        for t in stored_templates(channel.templates)
        if (t.name, t.language) != (template.name, template.language)
    ]
    channel.templates = [t.as_dict() for t in [*kept, template]]
    await session.flush()
    return channel, template


async def remove_template(
    session: AsyncSession, *, tenant_id: uuid.UUID, channel_id: uuid.UUID | None, name: str
) -> Channel:
    channel = await _channel(session, tenant_id, channel_id)
    templates = stored_templates(channel.templates)
    kept = [t for t in templates if t.name != name]
    if len(kept) == len(templates):
        raise BadRequest(f"Modelo {name!r} não encontrado neste canal.")
    channel.templates = [t.as_dict() for t in kept]
    await session.flush()
    return channel


async def list_templates(
    session: AsyncSession, tenant_id: uuid.UUID
) -> list[tuple[Channel, list[WhatsAppTemplate]]]:
    channels = await channel_queries.for_tenant(session, tenant_id)
    return [(c, stored_templates(c.templates)) for c in channels]
