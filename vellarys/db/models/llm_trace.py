"""One row per LLM reply: what the model was asked and did, kept for a limited time."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, check_in

TRACE_OUTCOMES = ("answered", "repaired", "fallback", "error", "superseded", "summary")


class LlmTrace(IdMixin, Base):
    """The redacted prompt, tool calls, refused drafts and why, rounds, tokens and latency of
    one reply; ``outcome`` says whether the lead got the model's answer or the offline one."""

    __tablename__ = "llm_traces"
    __table_args__ = (
        CheckConstraint(check_in("outcome", TRACE_OUTCOMES), name="outcome"),
        Index("ix_llm_traces_tenant_id_lead_id_created_at", "tenant_id", "lead_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    model: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(16))
    rounds: Mapped[int] = mapped_column(Integer)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    tool_calls: Mapped[list[Any]] = mapped_column(default=list)
    refused: Mapped[list[Any]] = mapped_column(default=list)
    prompt: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
