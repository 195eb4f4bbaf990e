"""Small async factories for the API and lead-service tests; they flush, never commit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel, Handoff, Lead, LeadNote, Message, Tenant, User


async def make_tenant(session: AsyncSession, slug: str | None = None) -> Tenant:
    tenant = Tenant(slug=slug or f"t-{uuid.uuid4().hex[:10]}", name="Imobiliária Teste")
    session.add(tenant)
    await session.flush()
    return tenant


async def make_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    role: str = "broker",
    active: bool = True,
    name: str | None = None,
) -> User:
    user = User(
        tenant_id=tenant_id,
        email=f"{uuid.uuid4().hex[:10]}@example.com",
        role=role,
        name=name or f"Corretor {uuid.uuid4().hex[:4]}",
        password_hash="not-a-hash",
        active=active,
    )
    session.add(user)
    await session.flush()
    return user


async def make_channel(session: AsyncSession, tenant_id: uuid.UUID) -> Channel:
    key = uuid.uuid4().hex
    channel = Channel(
        tenant_id=tenant_id,
        provider="simulator",
        name="Simulador",
        identity=f"sim-{key[:12]}",
        webhook_key=key,
    )
    session.add(channel)
    await session.flush()
    return channel


async def make_lead(session: AsyncSession, tenant_id: uuid.UUID, **values: Any) -> Lead:
    values.setdefault("phone", "+55119" + str(uuid.uuid4().int)[:8])
    values.setdefault("custom_data", {})
    lead = Lead(tenant_id=tenant_id, **values)
    session.add(lead)
    await session.flush()
    return lead


async def make_message(
    session: AsyncSession,
    lead: Lead,
    content: str,
    *,
    role: str = "user",
    created_at: datetime | None = None,
) -> Message:
    inbound = role == "user"
    message = Message(
        tenant_id=lead.tenant_id,
        lead_id=lead.id,
        channel_id=lead.channel_id,
        role=role,
        direction="inbound" if inbound else "outbound",
        status="received" if inbound else "sent",
        content=content,
        external_id=f"wamid.{uuid.uuid4().hex}",
    )
    if created_at is not None:
        message.created_at = created_at
    session.add(message)
    await session.flush()
    return message


async def make_handoff(session: AsyncSession, lead: Lead, **values: Any) -> Handoff:
    values.setdefault("reason", "hot")
    values.setdefault("summary", f"Resumo de {lead.name}")
    values.setdefault("profile", dict(lead.custom_data))
    handoff = Handoff(tenant_id=lead.tenant_id, lead_id=lead.id, **values)
    session.add(handoff)
    await session.flush()
    return handoff


async def make_note(session: AsyncSession, lead: Lead, body: str) -> LeadNote:
    note = LeadNote(tenant_id=lead.tenant_id, lead_id=lead.id, body=body)
    session.add(note)
    await session.flush()
    return note
