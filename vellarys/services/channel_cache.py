"""Channels by webhook key, kept in the API process for the ack path, with their adapters.

Why no LISTEN/NOTIFY: an entry is never trusted to write. ``db.queries.ack.STORE`` checks the
cached ``version`` (a digest of the channel's key, identity, secrets and credentials) against
the row in the same statement, and writes nothing when the channel was edited, deactivated or
deleted, in this process or any other; the entry is then dropped and read again. That costs
no round trip, where a listener needs a connection of its own per process and misses what
changed while it was reconnecting (after an outage, exactly when channels get fixed). A
rotated secret makes the cached adapter refuse the provider's new signature: the entry is
read again and the request checked once more before it is refused. The TTL only bounds how
long an entry no request proves stale (a deleted channel's) stays in memory, and how long an
agency found to have outgoing webhooks (the statement refuses those too: the full path writes
their deliveries) skips the lean path after it removed them: a hint, never a write.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from vellarys.db.direct import DirectPool
from vellarys.db.queries import ack as ack_queries
from vellarys.db.queries.ack import ChannelRef
from vellarys.domain.ports import ChannelKeys, WhatsAppProvider

TTL_SECONDS = 60.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class CachedChannel:
    ref: ChannelRef
    adapter: WhatsAppProvider
    fresh: bool  # read from the database for this request (not from the cache)


class ChannelCache:
    def __init__(
        self,
        *,
        ttl_seconds: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, CachedChannel]] = OrderedDict()
        self._hooked: dict[uuid.UUID, float] = {}

    def get(self, provider: str, key: str) -> CachedChannel | None:
        found = self._entries.get((provider, key))
        if found is None:
            return None
        if self._clock() - found[0] > self._ttl:
            del self._entries[(provider, key)]
            return None
        return found[1]

    def put(self, provider: str, key: str, entry: CachedChannel) -> None:
        self._entries[(provider, key)] = (self._clock(), entry)
        self._entries.move_to_end((provider, key))
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def note_hooks(self, tenant_id: uuid.UUID) -> None:
        """The agency has an outgoing webhook that hears of messages: for a TTL, its
        webhooks go straight to the full path (which writes the deliveries)."""
        self._hooked[tenant_id] = self._clock()
        while len(self._hooked) > self._max:
            self._hooked.pop(next(iter(self._hooked)))

    def has_hooks(self, tenant_id: uuid.UUID) -> bool:
        noted = self._hooked.get(tenant_id)
        if noted is None:
            return False
        if self._clock() - noted > self._ttl:
            del self._hooked[tenant_id]
            return False
        return True

    def forget(self, provider: str, key: str) -> None:
        self._entries.pop((provider, key), None)

    def __len__(self) -> int:
        return len(self._entries)


async def lookup(
    db: DirectPool,
    cache: ChannelCache,
    provider_for: Callable[[ChannelKeys], WhatsAppProvider],
    *,
    provider: str,
    key: str,
    reload: bool = False,
) -> CachedChannel | None:
    """The channel behind a webhook URL: the cached one, or (``reload``, or none cached)
    read from the database and cached. None when no active channel has that URL."""
    if not reload:
        cached = cache.get(provider, key)
        if cached is not None:
            return CachedChannel(cached.ref, cached.adapter, fresh=False)
    ref = await ack_queries.channel(db, provider, key)
    if ref is None:
        cache.forget(provider, key)
        return None
    entry = CachedChannel(ref, provider_for(ref), fresh=True)
    cache.put(provider, key, entry)
    return entry
