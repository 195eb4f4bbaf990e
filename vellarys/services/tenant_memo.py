"""A tenant's rarely changing facts, kept in this process for a short while.

Read for every message (the agency's place names, its staff names), they cost a query each
time; a few seconds of staleness is harmless. Keyed by the database too, so two databases in
one process (tests, benches) never share an entry.
"""

from __future__ import annotations

import time
import uuid
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class TenantMemo(Generic[T]):
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[tuple[str, uuid.UUID], tuple[float, T]] = {}

    def get(self, session: AsyncSession, tenant_id: uuid.UUID) -> T | None:
        """The kept value, or None when there is none or it is too old."""
        kept = self._entries.get(_key(session, tenant_id))
        if kept is None or time.monotonic() - kept[0] >= self.ttl_seconds:
            return None
        return kept[1]

    def put(self, session: AsyncSession, tenant_id: uuid.UUID, value: T) -> None:
        self._entries[_key(session, tenant_id)] = (time.monotonic(), value)

    def forget(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self._entries.pop(_key(session, tenant_id), None)


def _key(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    return (str(session.get_bind().engine.url), tenant_id)
