"""A fake OpenAI-compatible ``POST /v1/audio/transcriptions`` server on 127.0.0.1.

    with FakeTranscription(text="dois quartos em Pinheiros") as fake:
        ... OpenAICompatibleTranscriber(base_url=fake.base_url, ...) ...
        fake.calls[-1].fields["prompt"], fake.calls[-1].file

The multipart body is parsed as the real endpoint does; a request without a ``file`` part
or a ``model`` field gets OpenAI's 400.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Call:
    headers: dict[str, str]
    fields: dict[str, str]
    file: bytes
    filename: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    fake: FakeTranscription


class FakeTranscription:
    def __init__(self, *, text: str, api_key: str | None = None, status: int = 200) -> None:
        self.text, self.api_key, self.status = text, api_key, status
        self.calls: list[Call] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        head = f"Content-Type: {handler.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=default).parsebytes(head + body)
        fields: dict[str, str] = {}
        file, filename = b"", ""
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                file, filename = payload, part.get_filename() or ""
            elif isinstance(name, str):
                fields[name] = payload.decode()
        headers = {k.lower(): v for k, v in handler.headers.items()}
        self.calls.append(Call(headers, fields, file, filename))
        status, answer = self._answer(handler.path, headers, fields, file)
        raw = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    def _answer(
        self, path: str, headers: dict[str, str], fields: dict[str, str], file: bytes
    ) -> tuple[int, dict[str, Any]]:
        if path != "/v1/audio/transcriptions":
            return 404, {"error": {"message": f"no route {path}"}}
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {"error": {"message": "Incorrect API key provided"}}
        if not file or not fields.get("model"):
            return 400, {"error": {"message": "file and model are required"}}
        if self.status != 200:
            return self.status, {"error": {"message": "server error"}}
        return 200, {"text": self.text}
