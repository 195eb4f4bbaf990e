"""Structured JSON logs carrying tenant, lead, message and job ids from context."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import IO, Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


# What a database error string may quote from the data: its bound parameters and the
# DETAIL line (a unique violation names the duplicate key's values).
_DATABASE_DETAILS = (
    re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL),
    re.compile(r"\[SQL parameters hidden[^\]]*\]"),
    re.compile(r"DETAIL: .*?(?=\n|$)"),
)


def _scrub(text: str) -> str:
    for pattern in _DATABASE_DETAILS:
        text = pattern.sub("[redacted]", text)
    return text


def redact_database_details(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Remove SQL parameters and DETAIL lines from every string of a log line (including
    formatted tracebacks), so no phone or message text reaches the logs through an error."""
    return {key: _scrub(value) if isinstance(value, str) else value for key, value in event.items()}


def configure_logging(
    level: str = "INFO", *, json: bool = True, stream: IO[str] | None = None
) -> None:
    """Route every stdlib logger through structlog, as one JSON object per line."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_database_details,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


@contextmanager
def log_context(**ids: Any) -> Iterator[None]:
    """Bind ids (tenant_id, lead_id, message_id, job_id...) to every log line in the block."""
    clean = {k: str(v) for k, v in ids.items() if v is not None}
    with structlog.contextvars.bound_contextvars(**clean):
        yield
