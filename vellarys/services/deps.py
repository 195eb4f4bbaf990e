"""What the pipeline's services need from the outside world, handed in by bootstrap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vellarys.domain.clock import SystemClock
from vellarys.domain.llm import ChatModel, LlmReport
from vellarys.domain.ports import (
    ChannelKeys,
    Clock,
    Embedder,
    TextReader,
    Transcriber,
    WhatsAppProvider,
)


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    debounce_seconds: float = 3.0
    stale_after_seconds: float = 6 * 3600
    send_max_attempts: int = 5
    send_retry_base_seconds: float = 2.0
    send_retry_max_seconds: float = 300.0
    send_pace_seconds: float = 1.5
    history_limit: int = 30
    llm_daily_token_budget: int = 200_000
    llm_lead_daily_tokens: int = 60_000  # per lead, over the last 24 hours; 0: no cap
    summary_every: int = 6
    lead_messages_per_minute: int = 20
    agency_messages_per_minute: int = 600
    inbound_text_max_chars: int = 4096
    media_max_bytes: int = 16 * 1024 * 1024
    media_timeout_seconds: float = 30.0
    media_retention_days: int = 90


@dataclass(frozen=True, slots=True)
class PipelineDeps:
    provider_for: Callable[[ChannelKeys], WhatsAppProvider]
    settings: PipelineSettings = field(default_factory=PipelineSettings)
    clock: Clock = field(default_factory=SystemClock)
    embedder: Embedder | None = None
    # The tenant's settings -> its chat model (tenant override, else the deployment's), or None.
    chat_for: Callable[[Mapping[str, Any]], ChatModel | None] = lambda _settings: None
    transcriber: Transcriber | None = None
    text_reader: TextReader | None = None
    # Told about every LLM reply (bootstrap counts it in the Prometheus metrics).
    observe_llm: Callable[[LlmReport], None] = lambda _report: None
