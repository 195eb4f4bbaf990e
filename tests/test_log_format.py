"""One log format per deployment: readable lines on a terminal, JSON elsewhere or when asked,
uvicorn's own lines through the same formatter, and an access log line per request."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from vellarys.telemetry.logs import configure_logging, log_context


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_a_terminal_gets_readable_lines_with_level_time_event_and_ids() -> None:
    terminal = Terminal()
    configure_logging("INFO", stream=terminal)
    with log_context(tenant_id="t-1", lead_id="l-2"):
        logging.getLogger("vellarys.test").info("inbound processed")
    line = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).strip()  # colours off
    assert not line.startswith("{")
    assert "inbound processed" in line and "info" in line.lower()
    assert "tenant_id" in line and "t-1" in line and "l-2" in line
    assert line[:4].isdigit()  # the time comes first


def test_json_when_not_a_terminal_or_when_asked() -> None:
    pipe = io.StringIO()
    configure_logging("INFO", stream=pipe)
    logging.getLogger("vellarys.test").info("hello")
    assert _records(pipe)[0]["event"] == "hello"
    terminal = Terminal()
    configure_logging("INFO", log_format="json", stream=terminal)
    logging.getLogger("vellarys.test").info("hello")
    assert _records(terminal)[0]["level"] == "info"


def test_uvicorn_lines_go_through_the_same_formatter() -> None:
    pipe = io.StringIO()
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(logging.StreamHandler(io.StringIO()))  # as uvicorn's own config does
    configure_logging("INFO", stream=pipe)
    uvicorn_error.info("Started server process [%d]", 42, extra={"color_message": "\x1b[36m"})
    record = _records(pipe)[0]
    assert "color_message" not in record
    assert record["event"] == "Started server process [42]"
    assert record["logger"] == "uvicorn.error"
    assert uvicorn_error.handlers == []


async def test_every_request_gets_an_access_line_and_webhook_keys_stay_secret(
    client: httpx.AsyncClient,
) -> None:
    pipe = io.StringIO()
    configure_logging("INFO", stream=pipe)
    await client.get("/login")
    await client.post("/webhooks/meta/the-secret-key", content=b"{}")
    lines = [r for r in _records(pipe) if r["event"] == "request"]
    assert lines[0]["method"] == "GET" and lines[0]["path"] == "/login"
    assert lines[0]["status"] == 200 and isinstance(lines[0]["duration_ms"], float)
    assert lines[1]["path"] == "/webhooks/meta/***"
    assert "the-secret-key" not in pipe.getvalue()
