"""A fake OpenAI-compatible chat-completions server: a real HTTP server on 127.0.0.1.

    with FakeOpenAI() as llm:
        llm.script([
            FakeOpenAI.tool_call("search_properties", {"city": "Curitiba"}),
            429,
            FakeOpenAI.text("Achei duas opções no Batel!"),
        ])
        ... OpenAICompatibleChat(base_url=llm.base_url, ...) ...
        llm.requests[-1]["messages"]        # the JSON bodies received, in order
        llm.calls[-1].headers["authorization"]

Answers are served in order; once the script is empty every request gets ``DEFAULT_TEXT``.
Any path ending in ``/chat/completions`` is served (``/v1/...``, ``/...``, Azure deployments).
Leaving the ``with`` block (or ``stop()``) shuts the server down, wakes any delayed answer and
joins every thread.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

DEFAULT_TEXT = "Olá! Como posso ajudar?"
PROMPT_TOKENS, COMPLETION_TOKENS = 100, 20


@dataclass(frozen=True)
class Answer:
    """One scripted answer. A ``dict`` message becomes a completion; a ``str`` body goes out raw."""

    status: int = 200
    message: dict[str, Any] | None = None  # the assistant message of a 200 completion
    body: Any = None  # overrides everything: sent as JSON, or as is when a str
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    gate: threading.Event | None = None  # answered only once set (see ``FakeOpenAI.held``)
    # Builds the assistant message from the request (see ``FakeOpenAI.written``).
    write: Callable[[Any], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Recorded:
    """A request the fake received."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or the raw text when it was not JSON


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads
    fake: FakeOpenAI


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeOpenAI:
    """Speaks ``POST /v1/chat/completions``; with ``api_key`` set, refuses other keys with 401."""

    def __init__(self, *, api_key: str | None = None, model: str = "fake-gpt") -> None:
        self.api_key = api_key
        self.model = model
        self.calls: list[Recorded] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self.holding = threading.Event()  # set when a held answer's request has arrived
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

    @property
    def base_url(self) -> str:
        """What ``OpenAICompatibleChat`` takes: the root with ``/v1``."""
        return self.url + "/v1"

    @property
    def requests(self) -> list[Any]:
        """The JSON bodies received, in order."""
        with self._lock:
            return [c.body for c in self.calls]

    def script(self, answers: Iterable[int | Answer]) -> None:
        """Queue answers for the next requests: ``Answer``s or bare error statuses (429, 500)."""
        with self._lock:
            self._script.extend(_answer(a) for a in answers)

    # Answers ----------------------------------------------------------------------------

    @staticmethod
    def text(content: str) -> Answer:
        return Answer(message={"role": "assistant", "content": content})

    @staticmethod
    def tool_call(
        name: str, arguments: Mapping[str, Any] | str, *, content: str | None = None
    ) -> Answer:
        """One call; ``arguments`` as a ``str`` goes out verbatim (e.g. broken JSON)."""
        return FakeOpenAI.tool_calls((name, arguments), content=content)

    @staticmethod
    def tool_calls(
        *calls: tuple[str, Mapping[str, Any] | str], content: str | None = None
    ) -> Answer:
        """Several calls in one answer; ids are filled in when served (``call_1``, ...)."""
        wire = [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(dict(args)),
                },
            }
            for name, args in calls
        ]
        return Answer(message={"role": "assistant", "content": content, "tool_calls": wire})

    @staticmethod
    def error(
        status: int, message: str | None = None, *, retry_after: float | None = None
    ) -> Answer:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return Answer(status, body=_error_body(status, message), headers=headers)

    @staticmethod
    def written(write: Callable[[Any], str]) -> Answer:
        """A text answer written from the request body, like a model that reads the tool
        results it was sent (a visit's free slots depend on the day the test runs)."""
        return Answer(write=lambda body: {"role": "assistant", "content": write(body)})

    @staticmethod
    def held(gate: threading.Event, then: Answer) -> Answer:
        """``then``, sent once ``gate`` is set: the request stays in flight meanwhile (and
        ``holding`` tells the test it arrived), so a test can act while the model "thinks"."""
        return Answer(then.status, then.message, then.body, then.delay, then.headers, gate)

    @staticmethod
    def garbage() -> Answer:
        """A 200 that is not JSON, like a captive proxy's page."""
        return Answer(body="<html><body>Bad gateway</body></html>")

    @staticmethod
    def delay(seconds: float, then: int | Answer | None = None) -> Answer:
        answer = _answer(then) if then is not None else FakeOpenAI.text(DEFAULT_TEXT)
        return Answer(answer.status, answer.message, answer.body, seconds, answer.headers)

    # Lifecycle ---------------------------------------------------------------------------

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

    # The request loop --------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8", "replace")
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        headers = {k.lower(): v for k, v in handler.headers.items()}
        request = Recorded(handler.command, handler.path, headers, body)
        with self._lock:
            self.calls.append(request)
        self._respond(handler, self._choose(request))

    def _choose(self, request: Recorded) -> Answer:
        if not request.path.split("?")[0].endswith("/chat/completions"):
            return Answer(404, body=_error_body(404, f"Unknown path {request.path}"))
        if self.api_key and self.api_key not in (
            request.headers.get("api-key"),
            request.headers.get("authorization", "").removeprefix("Bearer "),
        ):
            return Answer(401, body=_error_body(401, "Incorrect API key provided."))
        with self._lock:
            answer = self._script.popleft() if self._script else self.text(DEFAULT_TEXT)
        if answer.write is not None:
            answer = Answer(message=answer.write(request.body), gate=answer.gate)
        if answer.body is not None or answer.message is None:
            body = answer.body if answer.body is not None else _error_body(answer.status)
            return Answer(
                answer.status,
                body=body,
                delay=answer.delay,
                headers=answer.headers,
                gate=answer.gate,
            )
        model = request.body.get("model") if isinstance(request.body, dict) else None
        return Answer(
            answer.status,
            body=self._completion(answer.message, str(model or self.model)),
            delay=answer.delay,
            headers=answer.headers,
            gate=answer.gate,
        )

    def _completion(self, message: dict[str, Any], model: str) -> dict[str, Any]:
        message = dict(message)
        finish = "stop"
        if message.get("tool_calls"):
            message["tool_calls"] = [
                {"id": f"call_{next(self._ids)}", **c} for c in message["tool_calls"]
            ]
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": COMPLETION_TOKENS,
                "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            },
        }

    def _respond(self, handler: _Handler, answer: Answer) -> None:
        if answer.delay and self._stopping.wait(answer.delay):
            return  # shutting down: the client has long given up
        if answer.gate is not None:
            self.holding.set()
            while not answer.gate.wait(0.01):
                if self._stopping.is_set():
                    return
        raw = isinstance(answer.body, str)
        payload = (answer.body if raw else json.dumps(answer.body)).encode()
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", "text/html" if raw else "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and hung up


def _answer(item: int | Answer) -> Answer:
    return item if isinstance(item, Answer) else FakeOpenAI.error(item)


_MESSAGES = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    404: ("invalid_request_error", "The model does not exist."),
    429: ("rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", "The server had an error while processing your request."),
    503: ("server_error", "The engine is currently overloaded, please try again later."),
}


def _error_body(status: int, message: str | None = None) -> dict[str, Any]:
    kind, default = _MESSAGES.get(status, ("server_error", f"Error {status}."))
    return {"error": {"message": message or default, "type": kind, "param": None, "code": None}}
