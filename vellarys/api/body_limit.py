"""Body limits and JSON depth, enforced before routing, sessions or authentication do any work.

Every request gets a byte limit by what it is: a webhook (``/webhooks/...``, known key or
not), an upload (``multipart/form-data``) or anything else. A declared ``Content-Length`` over
the limit is refused at once, without reading a byte; otherwise the body is counted while it
streams and the request is cut off with 413 the moment it passes the limit. JSON bodies (and
every webhook) are read whole (they are small by then) and refused with 400 when nested deeper
than ``json_depth``: the standard parser recurses and would fail with a 500 long before.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vellarys.api.errors import error_body
from vellarys.errors import PayloadTooLarge

WEBHOOK_PREFIX = "/webhooks/"
DEFAULT_JSON_DEPTH = 64
# A JSON string literal, escapes included (unrolled, so it matches in linear time).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


@dataclass(frozen=True, slots=True)
class BodyLimits:
    webhook_bytes: int
    request_bytes: int
    upload_bytes: int
    json_depth: int = DEFAULT_JSON_DEPTH


def nesting_depth(body: bytes, *, stop_after: int | None = None) -> int:
    """How deeply the arrays and objects of a JSON text nest (linear time).

    Counting stops once past ``stop_after``: a hostile body is refused after a few bytes.
    """
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in _OPENERS else -1
        if depth > deepest:
            deepest = depth
            if stop_after is not None and deepest > stop_after:
                break
    return deepest


class BodyLimit:
    """ASGI middleware applying ``BodyLimits`` to every HTTP request."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in bytes(scope.get("query_string", b"")):
            # A NUL in a URL is never meant; PostgreSQL could not even compare it.
            await _refuse(send, 400, "BadRequest", "The query string holds a NUL character.")
            return
        limit = self._limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, 413, "PayloadTooLarge", _too_large(limit))
            return
        if _is_json(scope):
            await self._json(scope, receive, send, limit)
            return
        guard = _Guard(receive, send, limit)
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            if not guard.exceeded:
                raise
        if guard.exceeded and not guard.started:
            await _refuse(send, 413, "PayloadTooLarge", _too_large(limit))

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        body = await _read(receive, limit)
        if body is None:
            await _refuse(send, 413, "PayloadTooLarge", _too_large(limit))
            return
        depth = self.limits.json_depth
        if nesting_depth(body, stop_after=depth) > depth:
            message = f"The JSON body is nested more than {depth} levels deep."
            await _refuse(send, 400, "BadRequest", message)
            return
        if _has_nul(scope, body):
            await _refuse(send, 400, "BadRequest", "The JSON body holds a NUL character.")
            return
        await self.app(scope, _replay(body, receive), send)

    def _limit_for(self, scope: Scope) -> int:
        if str(scope.get("path", "")).startswith(WEBHOOK_PREFIX):
            return self.limits.webhook_bytes
        if _header(scope, b"content-type").startswith("multipart/form-data"):
            return self.limits.upload_bytes
        return self.limits.request_bytes


class _Guard:
    """Counts body bytes as the app reads them; past the limit, the 413 replaces its answer."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive, self._send, self._limit = receive, send, limit
        self.seen = 0
        self.exceeded = False
        self.started = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self._limit:
                self.exceeded = True
                raise PayloadTooLarge(_too_large(self._limit))
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a later read waits for the disconnect, as usual

    return replay


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip().lower()
    return ""


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value.isdigit() else None


def _is_json(scope: Scope) -> bool:
    if str(scope.get("path", "")).startswith(WEBHOOK_PREFIX):
        return True
    content_type = _header(scope, b"content-type").split(";", 1)[0]
    return content_type == "application/json" or content_type.endswith("+json")


def _has_nul(scope: Scope, body: bytes) -> bool:
    """A NUL in a JSON body, which no text column can store; webhooks are exempt (their
    messages are cleaned and stored, since the provider would retry a refusal forever)."""
    if str(scope.get("path", "")).startswith(WEBHOOK_PREFIX):
        return False
    return b"\x00" in body or b"\\u0000" in body


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
