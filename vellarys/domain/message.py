"""What a channel hands us, whatever the provider: the inbound message model, and the bounds
a message is held to before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

MessageType = Literal[
    "text",
    "interactive",
    "audio",
    "image",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "unknown",
    # A call to the agency's WhatsApp: ``media["call"]`` is "missed" or "received".
    "call",
    # Changes to an earlier message, applied to it and never stored as rows of their own:
    # ``media["target"]`` names the message edited or deleted.
    "edit",
    "revoke",
    # A notice from WhatsApp itself (the lead changed number, a security code changed).
    "system",
]
# The kinds that change or describe another message; nothing to answer.
REVISIONS = frozenset({"edit", "revoke"})
DeliveryStatus = Literal["sent", "delivered", "read", "failed"]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message a lead sent (or, with ``from_me``, one the agency sent from its own phone)."""

    external_id: str
    phone: str
    type: MessageType
    text: str
    timestamp: datetime
    name: str | None = None
    media: dict[str, Any] = field(default_factory=dict)
    from_me: bool = False


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A delivery status for a message we sent, keyed by the provider's message id."""

    external_id: str
    status: DeliveryStatus
    timestamp: datetime
    error_code: str | None = None
    error: str | None = None
    # Our own message id, when the provider echoes what we sent with the message.
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    """A message of a webhook that can never be stored as it is (a missing field, an id too
    long): recorded with its raw payload and acknowledged, so the provider stops retrying it."""

    reason: str
    external_id: str | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    """Everything one webhook call carried. ``identity`` is the channel the payload names."""

    identity: str | None
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    rejected: list[RejectedMessage] = field(default_factory=list)


# Column sizes: messages.external_id and leads.name.
MAX_EXTERNAL_ID = 200
MAX_NAME = 200
DEFAULT_MAX_TEXT = 4096
# NUL (PostgreSQL text and jsonb cannot hold it), the other C0 controls but tab and line
# breaks, DEL, lone surrogates (not encodable as UTF-8) and the two noncharacters.
_DROPPED = dict.fromkeys(
    [*range(0, 9), 11, 12, *range(14, 32), 0x7F, *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]
)


class UnstorableMessage(ValueError):
    """A message no bound can make storable; ``str(exc)`` says why."""


def clean_text(text: str) -> str:
    """``text`` without NUL, control characters and invalid code points (linear time)."""
    return text.translate(_DROPPED)


def scrub(value: Any, *, max_chars: int | None = None) -> Any:
    """A JSON value with every string (keys too) cleaned, and cut at ``max_chars`` if given."""
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned if max_chars is None else cleaned[:max_chars]
    if isinstance(value, dict):
        return {clean_text(str(k)): scrub(v, max_chars=max_chars) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, max_chars=max_chars) for v in value]
    return value


def bound_message(message: InboundMessage, *, max_text: int = DEFAULT_MAX_TEXT) -> InboundMessage:
    """The message as it can be stored: clean text cut at ``max_text`` characters (then
    ``media["truncated"]`` is true and ``media["text_length"]`` the length received), a name
    cut to its column; ``UnstorableMessage`` when its id is empty or too long to be one."""
    external_id = clean_text(message.external_id).strip()
    if not external_id:
        raise UnstorableMessage("the message id is empty")
    if len(external_id) > MAX_EXTERNAL_ID:
        raise UnstorableMessage(
            f"the message id has {len(external_id)} characters (at most {MAX_EXTERNAL_ID})"
        )
    text = clean_text(message.text)
    media: dict[str, Any] = scrub(message.media, max_chars=max_text)
    if len(text) > max_text:
        media = {**media, "truncated": True, "text_length": len(text)}
        text = text[:max_text]
    name = clean_text(message.name or "").strip()[:MAX_NAME] or None
    return replace(message, external_id=external_id, text=text, name=name, media=media)
