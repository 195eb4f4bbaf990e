"""What the brain sees of a conversation, and what it answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of the conversation as the brain sees it."""

    role: str  # user | assistant | broker | system
    content: str
    type: str = "text"
    media: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConversationContext:
    """Everything known when a lead's new message(s) must be answered."""

    agency_name: str
    settings: Mapping[str, Any]
    profile: Mapping[str, Any]
    history: Sequence[Turn]
    new_messages: Sequence[Turn]
    stage: str = "new"
    summary: str | None = None
    lead_name: str | None = None
    now: datetime | None = None  # the agency's clock, for promises of a time ("até hoje às 17h")

    @property
    def text(self) -> str:
        """The new messages' text, joined (a burst is answered as one)."""
        return "\n".join(t.content for t in self.new_messages if t.content).strip()

    @property
    def first_contact(self) -> bool:
        return not any(t.role in ("assistant", "broker") for t in self.history)


@dataclass(frozen=True, slots=True)
class BrainReply:
    """The reply messages (WhatsApp-sized, in order) and what the brain learned."""

    messages: list[str]
    profile: dict[str, Any] | None = None
    asked: str | None = None
    handoff_reason: str | None = None
    property_codes: list[str] = field(default_factory=list)
    brain: str = "offline"
    needs_broker_answer: bool = False  # a question the brain could not answer from the knowledge
    open_question: str | None = None  # recorded on the lead, so the broker keeps the promise
    route: str | None = None  # who takes a handoff: "listings" (owners), "support", any broker
    handoff_note: str | None = None  # the LLM's one line for the broker


class Brain(Protocol):
    async def reply(self, context: ConversationContext) -> BrainReply: ...
