"""Fake WhatsApp providers: real HTTP servers on 127.0.0.1 that speak each provider's protocol.

    with FakeGraphAPI() as graph:
        graph.script([500, 200])            # answers, in order; then 200 for ever
        ... send through MetaCloudProvider(graph_url=graph.url, ...) ...
        graph.sent                          # the send requests, with headers and JSON body

A scripted answer is a status code (the provider's usual body for it) or a ``Reply`` with a
body and a delay. Leaving the ``with`` block (or ``stop()``) shuts the server down and wakes
any delayed answer, so no server outlives its test.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``body=None`` means the provider's usual body for ``status``;
    a ``str`` body is sent as is (not JSON)."""

    status: int = 200
    body: Any = None
    delay: float = 0.0


@dataclass(frozen=True)
class Recorded:
    """A request the fake received."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or the raw text when it was not JSON
    match: dict[str, str] = field(default_factory=dict)  # named groups of the route


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads: nothing left running
    fake: FakeProvider


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeProvider:
    """The machinery shared by the fakes; subclasses say how their provider talks."""

    route: ClassVar[re.Pattern[str]]

    def __init__(self) -> None:
        self.sent: list[Recorded] = []
        self.requests: list[Recorded] = []
        self.delay = 0.0  # applied to every answer that has no delay of its own
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, replies: Iterable[int | Reply]) -> None:
        """Queue answers for the next send requests; after them, requests succeed."""
        with self._lock:
            self._script.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What subclasses define ------------------------------------------------------------

    def check(self, request: Recorded) -> Reply | None:
        """An error reply when the request's credentials or target are wrong."""
        return None

    def success(self, request: Recorded, number: int) -> Reply:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        raise NotImplementedError

    # The request loop -------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8", "replace")
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        match = self.route.fullmatch(handler.path) if handler.command == "POST" else None
        request = Recorded(
            method=handler.command,
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            match=match.groupdict() if match else {},
        )
        with self._lock:
            self.requests.append(request)
        reply = Reply(404, self.error_body(404)) if match is None else self._answer(request)
        self._respond(handler, reply)

    def _answer(self, request: Recorded) -> Reply:
        refused = self.check(request)
        with self._lock:
            self.sent.append(request)
            if refused is not None:
                return refused  # a refused request leaves the script for the next ones
            scripted = self._script.popleft() if self._script else Reply(200)
            number = next(self._counter)
        if scripted.status < 300 and scripted.body is None:
            ok = self.success(request, number)
            return Reply(ok.status, ok.body, scripted.delay)
        body = self.error_body(scripted.status) if scripted.body is None else scripted.body
        return Reply(scripted.status, body, scripted.delay)

    def _respond(self, handler: _Handler, reply: Reply) -> None:
        delay = reply.delay or self.delay
        if delay and self._stopping.wait(delay):
            return  # shutting down: the client has long given up
        raw = isinstance(reply.body, str)  # a string body goes out as is, e.g. a proxy's HTML
        payload = (reply.body if raw else json.dumps(reply.body)).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "text/html" if raw else "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and hung up


class FakeGraphAPI(FakeProvider):
    """The WhatsApp Cloud API: ``POST /{version}/{phone_number_id}/messages``."""

    route = re.compile(r"/(?P<version>v\d+\.\d+)/(?P<phone_number_id>\d+)/messages")
    _errors: ClassVar[dict[int, tuple[int, str]]] = {
        400: (100, "(#100) Invalid parameter"),
        401: (190, "Invalid OAuth access token - Cannot parse access token"),
        404: (100, "Unsupported post request."),
        429: (130429, "(#130429) Rate limit hit"),
        500: (2, "An unexpected error has occurred. Please retry your request later."),
        503: (2, "Service temporarily unavailable"),
    }

    _media_route = re.compile(r"/v\d+\.\d+/(?P<media_id>\d+)")
    _upload_route = re.compile(r"/v\d+\.\d+/(?P<phone_number_id>\d+)/media")
    _download_route = re.compile(r"/whatsapp_business/attachments/\?mid=(?P<media_id>\d+)")

    def __init__(self, *, access_token: str | None = None) -> None:
        self.access_token = access_token
        # media id -> (bytes, content type), served as Meta does: GET /{version}/{media id}
        # gives a short-lived URL, which is downloaded with the same bearer token.
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_failures = 0  # the next this many media requests answer 500
        # Files uploaded to the media endpoint (multipart bodies, raw), in order.
        self.uploads: list[Recorded] = []
        super().__init__()

    def add_media(self, media_id: str, data: bytes, content_type: str) -> None:
        self.media[media_id] = (data, content_type)

    def _handle(self, handler: _Handler) -> None:
        if handler.command == "POST" and self._upload_route.fullmatch(handler.path):
            self._upload(handler)
            return
        if handler.command != "GET":
            super()._handle(handler)
            return
        request = Recorded(
            "GET", handler.path, {k.lower(): v for k, v in handler.headers.items()}, None
        )
        with self._lock:
            self.requests.append(request)
            failing = self.media_failures > 0
            self.media_failures -= 1 if failing else 0
        refused = self.check(request)
        if refused is not None or failing:
            self._respond(handler, refused or Reply(500, self.error_body(500)))
            return
        self._serve_media(handler)

    def _upload(self, handler: _Handler) -> None:
        """``POST /{version}/{phone_number_id}/media`` (multipart): answers the new media id."""
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        request = Recorded("POST", handler.path, headers, raw)
        with self._lock:
            self.requests.append(request)
            self.uploads.append(request)
            number = len(self.uploads)
        refused = self.check(request)
        if refused is not None:
            self._respond(handler, refused)
            return
        self._respond(handler, Reply(200, {"id": f"90000000{number:04d}"}))

    def _serve_media(self, handler: _Handler) -> None:
        download = self._download_route.fullmatch(handler.path)
        info = self._media_route.fullmatch(handler.path)
        media_id = (download or info).group("media_id") if (download or info) else ""
        if media_id not in self.media:
            self._respond(
                handler, Reply(404, self.error(100, "Unsupported get request.", status=404).body)
            )
            return
        data, content_type = self.media[media_id]
        if info is not None:
            url = f"{self.url}/whatsapp_business/attachments/?mid={media_id}"
            body = {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": content_type,
                "file_size": len(data),
                "id": media_id,
            }
            self._respond(handler, Reply(200, body))
            return
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def error(code: int, message: str, *, status: int = 400, details: str | None = None) -> Reply:
        """A Graph API error answer, e.g. ``error(131047, "Re-engagement message")``."""
        error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUv",
        }
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return Reply(status, {"error": error})

    def check(self, request: Recorded) -> Reply | None:
        expected = f"Bearer {self.access_token}"
        if self.access_token and request.headers.get("authorization") != expected:
            return Reply(401, self.error_body(401))
        return None

    def success(self, request: Recorded, number: int) -> Reply:
        to = request.body.get("to") if isinstance(request.body, dict) else None
        return Reply(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.{number}"}],
            },
        )

    def error_body(self, status: int) -> Any:
        code, message = self._errors.get(status, (1, "An unknown error occurred"))
        return self.error(code, message, status=status).body


class FakeZApi(FakeProvider):
    """Z-API: ``POST /instances/{instance}/token/{token}/send-text`` with ``Client-Token``."""

    route = re.compile(r"/instances/(?P<instance>[^/]+)/token/(?P<token>[^/]+)/send-text")

    def __init__(self, *, client_token: str | None = None) -> None:
        self.client_token = client_token
        super().__init__()

    def check(self, request: Recorded) -> Reply | None:
        given = request.headers.get("client-token")
        if self.client_token and given != self.client_token:
            return Reply(403, {"error": f"Client-Token {given} not allowed"})
        return None

    def success(self, request: Recorded, number: int) -> Reply:
        message_id = f"3EB0{number:016X}"
        return Reply(
            200, {"zaapId": uuid.uuid4().hex.upper(), "messageId": message_id, "id": message_id}
        )

    def error_body(self, status: int) -> Any:
        if status == 404:
            return {
                "error": "NOT_FOUND",
                "message": "Unable to find matching target resource method",
            }
        if status == 429:
            return {"error": "Too many requests"}
        if status >= 500:
            return {"error": "Internal server error"}
        return {"error": "Bad request", "message": "phone is not a valid WhatsApp number"}


class FakeEvolution(FakeProvider):
    """Evolution API: ``POST /message/sendText/{instance}`` (and ``sendMedia``, base64) with an
    ``apikey`` header, and ``POST /chat/findMessages/{instance}``, which answers from the messages
    it accepted (newest first), as Evolution answers from its own database."""

    route = re.compile(r"/message/send(?:Text|Media)/(?P<instance>[^/]+)")
    _find_route = re.compile(r"/chat/findMessages/(?P<instance>[^/]+)")

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.stored: list[dict[str, Any]] = []  # what Evolution keeps of each message sent
        super().__init__()

    def check(self, request: Recorded) -> Reply | None:
        if self.api_key and request.headers.get("apikey") != self.api_key:
            return Reply(401, self._error(401, "Unauthorized", "Unauthorized"))
        return None

    @staticmethod
    def chat_id(number: str) -> str:
        """Evolution's chat id: a Brazilian mobile outside areas 11-30 loses its ninth digit."""
        brazilian_mobile = number.startswith("55") and len(number) == 13
        if brazilian_mobile and int(number[2:4]) >= 31 and int(number[5]) >= 7:
            number = number[:4] + number[5:]
        return f"{number}@s.whatsapp.net"

    def success(self, request: Recorded, number: int) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        record = {
            "key": {
                "remoteJid": self.chat_id(str(body.get("number"))),
                "fromMe": True,
                "id": f"BAE5{number:012X}",
            },
            "pushName": "",
            "status": "PENDING",
            "message": {"conversation": body.get("text") or body.get("caption")},
            "messageType": "conversation",
            "messageTimestamp": int(time.time()),
            "instanceId": "5f0c2b7e-8d1a-4c3b-9e6f-1a2b3c4d5e6f",
            "source": "unknown",
        }
        self.stored.append(record)
        return Reply(201, record)

    def _handle(self, handler: _Handler) -> None:
        if self._find_route.fullmatch(handler.path) is None:
            super()._handle(handler)
            return
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        request = Recorded("POST", handler.path, headers, json.loads(raw or b"{}"))
        with self._lock:
            self.requests.append(request)
            refused = self.check(request)
            where = (request.body.get("where") or {}).get("key") or {}
            found = [
                {"id": uuid.uuid4().hex, **r, "MessageUpdate": []}
                for r in reversed(self.stored)
                if all(r["key"].get(k) == v for k, v in where.items())
            ][: int(request.body.get("offset") or 50)]
        body = {"messages": {"total": len(found), "pages": 1, "currentPage": 1, "records": found}}
        self._respond(handler, refused or Reply(200, body))

    def error_body(self, status: int) -> Any:
        if status == 404:
            return self._error(404, "Not Found", ["The instance does not exist"])
        if status >= 500:
            return self._error(status, "Internal Server Error", "Connection Closed")
        if status == 429:
            return self._error(429, "Too Many Requests", "Rate limit exceeded")
        return self._error(
            status, "Bad Request", [{"exists": False, "jid": "554100000000@s.whatsapp.net"}]
        )

    @staticmethod
    def _error(status: int, error: str, message: Any) -> dict[str, Any]:
        return {"status": status, "error": error, "response": {"message": message}}
