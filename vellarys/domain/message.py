"""What a channel hands us, whatever the provider: the inbound message model."""

from __future__ import annotations

from dataclasses import dataclass, field
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
]
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
class WebhookBatch:
    """Everything one webhook call carried. ``identity`` is the channel the payload names."""

    identity: str | None
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
