"""The audit log of who viewed, exported, erased or took over what (LGPD).

An entry is written in the same transaction as the act it records, so an act that rolls
back leaves no entry, and an entry always means the act happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import AuditEntry
from vellarys.db.queries import audit as queries

VIEWED = "viewed"
EXPORTED = "exported"
ERASED = "erased"
TOOK_OVER = "took_over"
ACTIONS = (VIEWED, EXPORTED, ERASED, TOOK_OVER)
LEAD = "lead"


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str | None,
    details: Mapping[str, object] | None = None,
    api_key_id: uuid.UUID | None = None,
) -> AuditEntry:
    """Add an entry. The actor is a dashboard user (``user_id``) or an API key
    (``api_key_id``, kept in ``details``). ``details`` must hold no personal data: the
    entry outlives an erasure."""
    data = dict(details or {})
    if api_key_id is not None:
        data["api_key_id"] = str(api_key_id)
    entry = AuditEntry(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        user_id=user_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=data,
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries_about(
    session: AsyncSession, *, tenant_id: uuid.UUID, target_type: str, target_id: uuid.UUID | str
) -> list[AuditEntry]:
    """Every entry about one object, oldest first."""
    return await queries.for_target(session, tenant_id, target_type, str(target_id))


async def recent_entries(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    limit: int = 50,
    offset: int = 0,
    action: str | None = None,
) -> list[AuditEntry]:
    """The agency's latest entries, newest first (optionally of one action)."""
    return await queries.recent(session, tenant_id, limit=limit, offset=offset, action=action)
