"""Admission for providers' posts: a few handled at once, the rest wait their turn.

When PostgreSQL returns after an outage, every provider retries what it holds at once. Run
all together, the backlog shares the event loop: each turn of the loop runs a slice of every
one of them, and a request that needs a few turns (``/health``, a dashboard page) waits
seconds per turn (measured: /health took 14-56 s to answer 200 after a 15 s outage at load
11-19, while webhooks took 2-10 s each). Bounded, the waiting posts cost nothing, a turn
stays short and everything else is answered at once; the posts are served in arrival order at
the same total rate. A post that waits longer than ``wait_seconds`` is answered 503 with
Retry-After, and its provider retries later, as it did during the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from vellarys.api.errors import RETRY_AFTER_SECONDS, error_body
from vellarys.errors import Overloaded
from vellarys.telemetry import metrics

PREFIXES = ("/webhooks/", "/portal-leads/")


class Admission:
    """ASGI middleware: at most ``slots`` providers' posts in the app at once."""

    def __init__(self, app: ASGIApp, *, slots: int, wait_seconds: float) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(slots)
        self.wait_seconds = wait_seconds
        self.waiting = 0  # posts waiting for a slot now
        self.turned_away = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _admitted(scope):
            await self.app(scope, receive, send)
            return
        if not await self._take_slot():
            self.turned_away += 1
            await _busy(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()

    async def _take_slot(self) -> bool:
        if not self.slots.locked():
            await self.slots.acquire()  # free: taken without waiting
            return True
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.wait_seconds):
                    await self.slots.acquire()
                    return True
            return False
        finally:
            self.waiting -= 1


def _admitted(scope: Scope) -> bool:
    """Whether the request is a provider's post (the others are never held back)."""
    return (
        scope["type"] == "http"
        and scope.get("method") == "POST"
        and str(scope.get("path", "")).startswith(PREFIXES)
    )


async def _busy(scope: Scope, send: Send) -> None:
    path = str(scope.get("path", "")).split("/")
    if path[1] == "webhooks" and len(path) > 2:
        metrics.WEBHOOKS.labels(path[2], "503").inc()
    body = error_body("Overloaded", Overloaded().message)
    data = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": data})
