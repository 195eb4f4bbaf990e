"""The access log: one structured line per HTTP request, in the deployment's log format."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("vellarys.access")
# Load balancers and Prometheus poll these every few seconds: logged at DEBUG only.
QUIET_PREFIXES = ("/health", "/metrics", "/static/")


class AccessLog:
    """ASGI middleware: method, path, status, duration and client of every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            _log_request(scope, status, time.perf_counter() - started)


def public_path(path: str) -> str:
    """The path as it may be logged: a webhook URL's key is a secret (it names the channel)."""
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "webhooks":
        return "/".join([*parts[:3], "***"])
    return path


def _log_request(scope: Scope, status: int, seconds: float) -> None:
    path = public_path(str(scope.get("path", "")))
    level = logging.DEBUG if path.startswith(QUIET_PREFIXES) and status < 400 else logging.INFO
    client = scope.get("client")
    log.log(
        level,
        "request",
        extra={
            "method": scope.get("method"),
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client": client[0] if client else None,
        },
    )
