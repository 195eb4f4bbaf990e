"""The bench's own small kit: signed Meta webhooks and a fake Graph API (no tests/ imports)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "106540352242922"
OTHER_NUMBER_ID = "206540352242999"


def meta_text(
    body: str,
    *,
    wamid: str | None = None,
    phone: str = "5511988887777",
    name: str = "Lead",
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A Meta Cloud API webhook carrying one text message."""
    message = {
        "from": phone,
        "id": wamid or f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": body},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130301000", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": phone}],
        "messages": [message],
    }
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


def signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}


class _Graph(BaseHTTPRequestHandler):
    # Keep-alive, as the Graph API does: the worker's one HTTP client reuses its connections
    # (an HTTP/1.0 fake made every send open a new one, which no deployment pays).
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without this, Nagle holds the body until the
    # client's delayed ACK (40 ms a send).
    disable_nagle_algorithm = True
    numbers = itertools.count(1)
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.lock:
            number = next(self.numbers)
        body = json.dumps(
            {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{number}"}]}
        )
        data = body.encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeGraph:
    """Accepts every send on ``POST /{version}/{phone_number_id}/messages`` with a new wamid."""

    def __enter__(self) -> FakeGraph:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Graph)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def kept_or_temporary(keep: Path | None, prefix: str) -> Iterator[Path]:
    """The bench's working folder (its processes' logs): ``keep`` when given, left in place
    for reading after the run, else a temporary one removed on the way out."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)
