"""API keys: plaintext shown once, only its hash stored, revocation, authentication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_tenant, make_user
from vellarys.errors import BadRequest, NotFound
from vellarys.services.api_keys import (
    authenticate,
    create_api_key,
    find_api_key,
    hash_key,
    list_api_keys,
    revoke_api_key,
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


async def test_a_new_key_is_returned_once_and_stored_as_its_hash(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    admin = await make_user(session, tenant.id, role="admin")
    key, plaintext = await create_api_key(
        session, tenant_id=tenant.id, name=" CRM ", created_by_id=admin.id
    )
    assert plaintext.startswith(f"vk_{key.prefix}_") and len(plaintext) > 40
    assert key.key_hash == hash_key(plaintext) and plaintext not in key.key_hash
    assert (key.name, key.created_by_id) == ("CRM", admin.id)
    assert (await authenticate(session, plaintext)) is key


async def test_authentication_refuses_unknown_malformed_and_revoked_keys(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    key, plaintext = await create_api_key(session, tenant_id=tenant.id, name="CRM")
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert await authenticate(session, tampered) is None
    assert await authenticate(session, "vk_short") is None
    assert await authenticate(session, "") is None
    await revoke_api_key(session, tenant_id=tenant.id, key_id=key.id)
    assert await authenticate(session, plaintext) is None


async def test_last_use_is_recorded_at_most_once_a_minute(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    key, plaintext = await create_api_key(session, tenant_id=tenant.id, name="CRM")
    clock = Clock(datetime(2025, 1, 1, 12, tzinfo=UTC))
    await authenticate(session, plaintext, clock=clock)
    assert key.last_used_at == clock.at
    first = clock.at
    clock.at += timedelta(seconds=30)
    await authenticate(session, plaintext, clock=clock)
    assert key.last_used_at == first
    clock.at += timedelta(minutes=1)
    await authenticate(session, plaintext, clock=clock)
    assert key.last_used_at == clock.at


async def test_revoking_is_idempotent_and_scoped_to_the_agency(session: AsyncSession) -> None:
    ours, theirs = await make_tenant(session), await make_tenant(session)
    key, _ = await create_api_key(session, tenant_id=ours.id, name="CRM")
    with pytest.raises(NotFound):
        await revoke_api_key(session, tenant_id=theirs.id, key_id=key.id)
    assert key.revoked_at is None
    clock = Clock(datetime(2025, 1, 1, tzinfo=UTC))
    await revoke_api_key(session, tenant_id=ours.id, key_id=key.id, clock=clock)
    later = Clock(datetime(2025, 2, 1, tzinfo=UTC))
    await revoke_api_key(session, tenant_id=ours.id, key_id=key.id, clock=later)
    assert key.revoked_at == clock.at


async def test_keys_are_listed_and_found_by_prefix_within_the_agency(session: AsyncSession) -> None:
    ours, theirs = await make_tenant(session), await make_tenant(session)
    key, _ = await create_api_key(session, tenant_id=ours.id, name="CRM")
    await create_api_key(session, tenant_id=theirs.id, name="Outro")
    assert [k.id for k in await list_api_keys(session, tenant_id=ours.id)] == [key.id]
    assert await find_api_key(session, tenant_id=ours.id, reference=key.prefix) is key
    assert await find_api_key(session, tenant_id=ours.id, reference=str(key.id)) is key
    with pytest.raises(NotFound):
        await find_api_key(session, tenant_id=theirs.id, reference=key.prefix)


async def test_a_key_needs_a_name_and_a_creator_of_the_same_agency(session: AsyncSession) -> None:
    ours, theirs = await make_tenant(session), await make_tenant(session)
    stranger = await make_user(session, theirs.id)
    with pytest.raises(BadRequest):
        await create_api_key(session, tenant_id=ours.id, name="  ")
    with pytest.raises(BadRequest):
        await create_api_key(session, tenant_id=ours.id, name="CRM", created_by_id=stranger.id)
    assert await list_api_keys(session, tenant_id=ours.id) == []
