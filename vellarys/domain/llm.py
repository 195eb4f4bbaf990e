"""What a chat model answers, and the port every chat model adapter implements."""

from __future__ import annotations

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
