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
    agency: str = ""  # the tenant's slug: a metrics label bounded by the number of agencies


# Ten digits or more, separators allowed: phone numbers, CPF, CNPJ (prices stay below this).
_LONG_NUMBER = re.compile(r"(?<!\d)\+?\d(?:[\s().-]?\d){9,}")
# Starts only where a run starts, dot-free labels: linear on any input.
_EMAIL = re.compile(r"(?<![^@\s])[^@\s]+@(?:[^@\s.]+\.)+[a-z]{2,}", re.IGNORECASE)


def redact(text: str, names: Sequence[str] = ()) -> str:
    """A trace's text without e-mails, phone/document numbers and the words of ``names``
    (the lead's names: WhatsApp profile, profile, and those the lead gave)."""
    text = _LONG_NUMBER.sub("[número]", _EMAIL.sub("[e-mail]", text))
    pattern = name_pattern(names)
    return pattern.sub("[nome]", text) if pattern is not None else text


def name_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    """Each word of ``names`` (two letters or more) as a whole word, any case."""
    words = {w for name in names for w in re.findall(r"\w{2,}", name or "")}
    if not words:
        return None
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
