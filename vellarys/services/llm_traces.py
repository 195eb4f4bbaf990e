"""LLM traces: one record per LLM reply (redacted prompt, tool calls, refused drafts and why,
rounds, tokens, latency, outcome), kept ``llm_trace_retention_days``, shown to admins."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, LlmTrace
from vellarys.db.queries import llm_trace as trace_queries
from vellarys.domain.llm import LlmReport, redact
from vellarys.errors import Forbidden
from vellarys.services import lead_acts
from vellarys.services.auth import Viewer
from vellarys.services.llm_brain import LlmSpend

_MAX_PART = 4000  # characters kept of one prompt message


def skipped(reason: str) -> LlmReport:
    """A reply the LLM was not asked for (the agency's daily budget is spent)."""
    return LlmReport(outcome="skipped", fallback_reason=reason)


async def record_trace(
    session: AsyncSession,
    *,
    lead: Lead,
    message_id: uuid.UUID | None,
    spend: LlmSpend,
    seconds: float,
) -> LlmReport:
    """Store the trace of one LLM reply and return what the metrics count of it."""
    session.add(
        LlmTrace(
            tenant_id=lead.tenant_id,
            lead_id=lead.id,
            message_id=message_id,
            model=(spend.model or "?")[:120],
            outcome=spend.outcome,
            rounds=spend.rounds,
            prompt_tokens=spend.prompt_tokens,
            completion_tokens=spend.completion_tokens,
            latency_ms=round(seconds * 1000),
            tool_calls=[_redacted_call(c) for c in spend.tool_calls],
            refused=[
                {"reason": why, "draft": redact(draft)}
                for why, draft in zip(spend.refused, spend.drafts, strict=False)
            ],
            prompt=[_redacted_message(m) for m in spend.prompt],
            error=spend.error,
        )
    )
    await session.flush()
    return LlmReport(
        outcome=spend.outcome,
        rounds=spend.rounds,
        prompt_tokens=spend.prompt_tokens,
        completion_tokens=spend.completion_tokens,
        seconds=seconds,
        fallback_reason=_fallback_reason(spend),
    )


def _fallback_reason(spend: LlmSpend) -> str | None:
    if spend.error is None:
        return None
    if spend.refused:
        return "refused"
    if "kept calling tools" in spend.error:
        return "tools"
    return "deadline" if "longer than" in spend.error else "error"


def _redacted_message(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    kept: dict[str, Any] = {"role": message.get("role")}
    if isinstance(content, str):
        kept["content"] = redact(content)[:_MAX_PART]
    return kept


def _redacted_call(call: dict[str, Any]) -> dict[str, Any]:
    arguments = {
        k: redact(v) if isinstance(v, str) else v for k, v in (call.get("arguments") or {}).items()
    }
    return {"name": call.get("name"), "arguments": arguments}


async def lead_traces(session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID) -> list[LlmTrace]:
    """The lead's recent traces, for the agency's admins only."""
    if not viewer.is_admin:
        raise Forbidden("Somente administradores da imobiliária podem ver o registro da IA.")
    lead = await lead_acts.view_lead(session, viewer.actor, lead_id=lead_id)
    return await trace_queries.of_lead(session, viewer.tenant_id, lead.id, limit=30)


async def tokens_of_lead(session: AsyncSession, lead: Lead, *, since: datetime) -> int:
    """Tokens the lead's LLM replies spent since ``since`` (the per-lead cap)."""
    return await trace_queries.tokens_since(session, lead.tenant_id, lead.id, since=since)


async def prune_traces(session: AsyncSession, *, now: datetime, days: int) -> int:
    """Delete traces older than ``days`` (every agency); returns how many."""
    return await trace_queries.prune_before(session, before=now - timedelta(days=days))
