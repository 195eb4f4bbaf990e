"""Logs carrying tenant, lead, message and job ids from context, in one format per deployment.

On a terminal (``VELLARYS_LOG_FORMAT=auto``) a person reads aligned lines: time, level, event,
ids. Anywhere else (systemd, containers, files) and with ``VELLARYS_LOG_FORMAT=json``, one JSON
object a line. The standard library's loggers, uvicorn's included, go through the same formatter.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import IO, Any

import structlog


def _drop_color_message(_logger: Any, _name: str, event: Any) -> Any:
    event.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    _drop_color_message,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
# uvicorn configures these itself unless told not to; ours replace its handlers.
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")
# httpx logs every request URL at INFO, and some providers' URLs carry a token (Z-API).
_QUIET = ("httpx", "httpcore")


def wants_json(log_format: str, stream: IO[str]) -> bool:
    """``auto`` means JSON unless a person is watching the stream."""
    if log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (callable(isatty) and isatty())
    return log_format == "json"


def _renderer(json: bool, stream: IO[str]) -> Any:
    if json:
        return structlog.processors.JSONRenderer()
    isatty = getattr(stream, "isatty", None)
    return structlog.dev.ConsoleRenderer(
        colors=bool(callable(isatty) and isatty()),
        exception_formatter=structlog.dev.plain_traceback,
    )


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
    level: str = "INFO", *, log_format: str = "auto", stream: IO[str] | None = None
) -> None:
    """Route every stdlib logger (uvicorn's too) through structlog's one formatter."""
    out = stream or sys.stderr
    json = wants_json(log_format, out)
    processors: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:  # the console renderer prints tracebacks itself
        processors.append(structlog.processors.format_exc_info)
    processors.append(redact_database_details)
    processors.append(_renderer(json, out))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED, processors=processors
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _UVICORN:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.disabled = False  # a fileConfig elsewhere (alembic's) may have switched it off
        logger.setLevel(logging.NOTSET)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
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
