"""Per-tenant API keys: created and shown once, stored only as a SHA-256 hash, revocable.

A key reads ``vk_<prefix>_<secret>``. The prefix is stored in clear so staff can tell keys
apart; the whole key is hashed, and authentication looks the hash up (an indexed equality
on a digest of a 256-bit secret leaks nothing useful through timing).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import ApiKey
from vellarys.db.queries import api_key as queries
from vellarys.db.queries import user as user_queries
from vellarys.domain.clock import SystemClock
from vellarys.domain.ports import Clock
from vellarys.errors import BadRequest, NotFound

KEY_FORMAT = re.compile(r"^vk_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")
MAX_NAME = 200
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_CLOCK = SystemClock()


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    created_by_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plaintext; the plaintext is never stored and cannot be shown again."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise BadRequest(f"Dê um nome à chave (até {MAX_NAME} caracteres)")
    creator = created_by_id and await user_queries.get(session, tenant_id, created_by_id)
    if created_by_id is not None and creator is None:
        raise BadRequest("Esse usuário não existe nesta imobiliária")
    prefix = secrets.token_hex(4)
    plaintext = f"vk_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=name,
        prefix=prefix,
        key_hash=hash_key(plaintext),
        created_by_id=created_by_id,
    )
    session.add(key)
    await session.flush()
    return key, plaintext


async def authenticate(
    session: AsyncSession, plaintext: str, *, clock: Clock = _CLOCK
) -> ApiKey | None:
    """The key that ``plaintext`` is, unless malformed, unknown, revoked or of an inactive
    agency; marks it used."""
    if not KEY_FORMAT.match(plaintext):
        return None
    digest = hash_key(plaintext)
    key = await queries.active_by_hash(session, digest)
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        await session.flush()
    return key


async def revoke_api_key(
    session: AsyncSession, *, tenant_id: uuid.UUID, key_id: uuid.UUID, clock: Clock = _CLOCK
) -> ApiKey:
    """Revoke the key at once; revoking it again changes nothing."""
    key = await queries.get(session, tenant_id, key_id)
    if key is None:
        raise NotFound("Chave de API não encontrada")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()
    return key


async def find_api_key(session: AsyncSession, *, tenant_id: uuid.UUID, reference: str) -> ApiKey:
    """The tenant's key named by its id or its prefix (what the CLI and the dashboard show)."""
    try:
        key = await queries.get(session, tenant_id, uuid.UUID(reference))
        found = [key] if key is not None else []
    except ValueError:
        found = await queries.by_prefix(session, tenant_id, reference.removeprefix("vk_"))
    if len(found) != 1:
        raise NotFound("Chave de API não encontrada")
    return found[0]


async def list_api_keys(session: AsyncSession, *, tenant_id: uuid.UUID) -> list[ApiKey]:
    """The agency's keys, newest first, revoked ones included."""
    return await queries.for_tenant(session, tenant_id)
