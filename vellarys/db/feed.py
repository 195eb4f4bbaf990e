"""The inbox's wake-up call: one PostgreSQL ``LISTEN`` connection per process.

Every write to ``messages`` notifies ``vellarys_messages`` with its tenant id (a trigger, so in
the writing transaction; delivered at commit). The listener wakes the open live feeds of that
agency, which then read what changed. While the listener is down (a database outage), feeds
fall back to polling; when it is back, every feed is woken once to catch up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

CHANNEL = "vellarys_messages"
APPLICATION_NAME = "vellarys_feed"
CONNECT_TIMEOUT_SECONDS = 10.0
PING_EVERY_SECONDS = 30.0
RETRY_MAX_SECONDS = 30.0
IDLE_SECONDS = 15.0


class MessageFeed:
    """Fans the database's message notifications out to the feeds open in this process."""

    def __init__(
        self, dsn: str, *, retry_seconds: float = 0.5, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self._dsn = dsn
        # How long a feed waits for a notification before it reads anyway (and keeps alive).
        self.idle_seconds = idle_seconds
        self._retry_seconds = retry_seconds
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self.live = False
        self.connections = 0  # listener connections opened so far (1 + reconnects)
        self.heard = 0  # notifications received

    @contextlib.contextmanager
    def subscribe(self, tenant_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever a message of ``tenant_id`` is written (or the listener
        reconnects); starts the listener on first use."""
        self._start()
        event = asyncio.Event()
        self._waiters.setdefault(tenant_id, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(tenant_id, set())
            waiters.discard(event)
            if not waiters:
                self._waiters.pop(tenant_id, None)

    async def wait_connected(self, count: int = 1) -> None:
        """Until the listener is live on its ``count``-th connection (for tests and health)."""
        self._start()
        async with self._changed:
            await self._changed.wait_for(lambda: self.live and self.connections >= count)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="message-feed")

    async def _run(self) -> None:
        delay = self._retry_seconds
        while True:
            try:
                await self._listen()
                delay = self._retry_seconds
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("message feed listener down; retrying", extra={"error": str(exc)})
            await self._set_live(False)
            await asyncio.sleep(delay)  # backoff between reconnects, not a job's pace
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _listen(self) -> None:
        conn: Any = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": APPLICATION_NAME},
        )
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, self._heard)
            self.connections += 1
            await self._set_live(True)
            self._wake_all()  # what was written while nobody listened is read now
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), PING_EVERY_SECONDS)
                if not lost.is_set():  # a silent half-open connection shows up here
                    await conn.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)
        finally:
            conn.terminate()

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.heard += 1
        for event in self._waiters.get(payload, ()):
            event.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    async def _set_live(self, live: bool) -> None:
        async with self._changed:
            self.live = live
            self._changed.notify_all()
