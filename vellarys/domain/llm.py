"""What a chat model answers, and the port every chat model adapter implements."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call the model asked for; ``id`` goes back with the tool's result."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatResult:
    """One answer of the model: text, tool calls, or both."""

    content: str | None
    tool_calls: tuple[ToolCall, ...]
    prompt_tokens: int
    completion_tokens: int
    model: str


class ChatModel(Protocol):
    """A chat-completions model. Messages and tools use the OpenAI wire shapes.

    ``complete`` raises ``LLMError`` on any failure; ``retryable`` says whether trying
    again later may help.
    """

    model: str

    async def complete(
        self, messages: Sequence[Mapping[str, Any]], *, tools: Sequence[Mapping[str, Any]] = ()
    ) -> ChatResult: ...


@dataclass(frozen=True, slots=True)
class LlmReport:
    """What one LLM reply did, for the metrics.

    ``outcome``: answered, repaired, fallback, error, or skipped (no call: budget spent);
    ``fallback_reason``: refused, tools, deadline, error or budget when the offline brain
    answered instead.
    """

    outcome: str
    rounds: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    fallback_reason: str | None = None


# Ten digits or more, separators allowed: phone numbers, CPF, CNPJ (prices stay below this).
_LONG_NUMBER = re.compile(r"(?<!\d)\+?\d(?:[\s().-]?\d){9,}")
# Starts only where a run starts, dot-free labels: linear on any input.
_EMAIL = re.compile(r"(?<![^@\s])[^@\s]+@(?:[^@\s.]+\.)+[a-z]{2,}", re.IGNORECASE)


def redact(text: str) -> str:
    """A trace's text without e-mails and phone/document numbers."""
    return _LONG_NUMBER.sub("[número]", _EMAIL.sub("[e-mail]", text))
