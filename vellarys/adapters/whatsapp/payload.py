"""Reading webhooks: a missing or mistyped JSON field becomes a ``BadRequest`` naming its path."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vellarys.domain.message import (
    MAX_EXTERNAL_ID,
    InboundMessage,
    RejectedMessage,
    StatusUpdate,
    scrub,
)
from vellarys.domain.phone import normalize_phone
from vellarys.errors import BadRequest

log = logging.getLogger(__name__)

# Unix timestamps outside this range are corrupt, not old or future messages.
_MIN_EPOCH = 946_684_800  # 2000-01-01
_MAX_EPOCH = 4_102_444_800  # 2100-01-01


@dataclass(frozen=True, slots=True)
class Node:
    """One value of a JSON document and the path that reached it, for error messages."""

    value: Any
    path: str

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def __getitem__(self, key: str) -> Node:
        """The required field ``key`` of this object."""
        child = self.get(key)
        if child is None:
            raise BadRequest(f"{self.path}.{key} is missing")
        return child

    def get(self, key: str) -> Node | None:
        """The field ``key`` of this object, or ``None`` when absent or null."""
        if not isinstance(self.value, dict):
            raise BadRequest(f"{self.path} must be an object")
        value = self.value.get(key)
        return None if value is None else Node(value, f"{self.path}.{key}")

    def items(self) -> list[Node]:
        if not isinstance(self.value, list):
            raise BadRequest(f"{self.path} must be a list")
        return [Node(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise BadRequest(f"{self.path} must be a string")
        return self.value

    def number(self) -> float:
        value = self.value
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise BadRequest(f"{self.path} must be a number") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRequest(f"{self.path} must be a number")
        return float(value)

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise BadRequest(f"{self.path} must be true or false")
        return self.value

    def opt_text(self, key: str) -> str | None:
        child = self.get(key)
        return None if child is None else child.text()

    def opt_flag(self, key: str) -> bool:
        child = self.get(key)
        return False if child is None else child.flag()

    def opt_number(self, key: str) -> float | None:
        child = self.get(key)
        return None if child is None else child.number()

    def timestamp(self, *, millis: bool = False) -> datetime:
        """A unix timestamp (seconds, or milliseconds), number or digit string, as aware UTC."""
        value = self.value
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"{self.path} must be a unix timestamp")
        seconds = value / 1000 if millis else value
        if not _MIN_EPOCH <= seconds < _MAX_EPOCH:
            raise BadRequest(f"{self.path} is out of range: {value}")
        return datetime.fromtimestamp(seconds, tz=UTC)

    def phone(self) -> str:
        try:
            return normalize_phone(self.text())
        except ValueError as exc:
            raise BadRequest(f"{self.path}: {exc}") from None


def load(body: bytes, provider: str) -> Node:
    """Parse a webhook body that must be a JSON object."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"{provider} webhook body is not JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(f"{provider} webhook body is nested too deeply") from None
    if not isinstance(value, dict):
        raise BadRequest(f"{provider} webhook body must be a JSON object")
    return Node(value, provider)


def compact(**fields: Any) -> dict[str, Any]:
    """The given fields without the ``None`` ones: media dicts carry only what the payload had."""
    return {key: value for key, value in fields.items() if value is not None}


def ad_referral(node: Node) -> dict[str, Any]:
    """A click-to-WhatsApp ad as WhatsApp Web reports it (``externalAdReply``, relayed by
    Z-API and Evolution), in the names of Meta's ``referral``: the lead keeps the same fields
    whichever provider brought them."""
    media_type = node.get("mediaType")
    return compact(
        source_url=node.opt_text("sourceUrl"),
        source_id=node.opt_text("sourceId"),
        source_type=node.opt_text("sourceType"),
        headline=node.opt_text("title"),
        body=node.opt_text("body"),
        media_type=None if media_type is None else str(media_type.value),
        ctwa_clid=node.opt_text("ctwaClid"),
    )


def joined(*parts: str | None, sep: str = " - ") -> str:
    return sep.join(part for part in parts if part)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A request header by case-insensitive name."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def read_messages(
    nodes: Iterable[Node], read: Callable[[Node], InboundMessage | None]
) -> tuple[list[InboundMessage], list[RejectedMessage]]:
    """Read each message on its own: one that cannot be read is rejected, not the batch."""
    messages: list[InboundMessage] = []
    rejected: list[RejectedMessage] = []
    for node in nodes:
        try:
            message = read(node)
        except BadRequest as exc:
            rejected.append(
                RejectedMessage(exc.message, _message_id(node.value), scrub(node.value))
            )
            continue
        if message is not None:
            messages.append(message)
    return messages, rejected


def read_statuses(
    nodes: Iterable[Node], read: Callable[[Node], StatusUpdate | None]
) -> list[StatusUpdate]:
    """Read each delivery status on its own: one that cannot be read is skipped and logged
    (no message of ours can be updated by it), never the reason the batch is refused."""
    statuses: list[StatusUpdate] = []
    for node in nodes:
        try:
            status = read(node)
        except BadRequest as exc:
            log.warning("skipping an unreadable delivery status", extra={"reason": exc.message})
            continue
        if status is not None:
            statuses.append(status)
    return statuses


def _message_id(value: Any) -> str | None:
    """The provider's id of a message that could not be read, if it has one, for the record."""
    if not isinstance(value, dict):
        return None
    key = value.get("key")
    found = (
        value.get("id")
        or value.get("messageId")
        or (key.get("id") if isinstance(key, dict) else None)
    )
    return scrub(found)[:MAX_EXTERNAL_ID] if isinstance(found, str) else None
