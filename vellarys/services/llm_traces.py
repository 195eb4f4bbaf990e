"""LLM traces: one record per LLM reply (redacted prompt, tool calls, refused drafts and why,
rounds, tokens, latency, outcome), kept ``llm_trace_retention_days``, shown to admins."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, LlmTrace
from vellarys.db.queries import llm_trace as trace_queries
from vellarys.domain.lead_name import name_in
from vellarys.domain.llm import LlmReport, redact
from vellarys.errors import Forbidden
from vellarys.services import lead_acts
from vellarys.services.auth import Viewer
from vellarys.services.deps import PipelineDeps

if TYPE_CHECKING:
    from vellarys.services.llm_brain import LlmSpend, Spent

_MAX_PART = 4000  # characters kept of one prompt message
LEAD_WINDOW = timedelta(hours=24)  # the per-lead token cap counts this far back


async def budget_spent(session: AsyncSession, deps: PipelineDeps, lead: Lead) -> str | None:
    """ "budget" when the agency's daily tokens are spent, "lead_budget" when this lead's
    (its replies and summaries over the last 24 hours) are; else None."""
    # The brain is imported by the processes that reply, not by the dashboard's trace pages.
    from vellarys.services.llm_brain import tokens_used_today

    now = deps.clock.now()
    used = await tokens_used_today(session, lead.tenant_id, now.date())
    if used >= deps.settings.llm_daily_token_budget:
        return "budget"
    cap = deps.settings.llm_lead_daily_tokens
    if cap and await tokens_of_lead(session, lead, since=now - LEAD_WINDOW) >= cap:
        return "lead_budget"
    return None


def skipped(reason: str, agency: str = "") -> LlmReport:
    """A reply the LLM was not asked for (the agency's or the lead's budget is spent)."""
    return LlmReport(outcome="skipped", fallback_reason=reason, agency=agency)


async def keep_superseded(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    today: date,
    spent: Sequence[Spent],
) -> None:
    """Write again, marked superseded, the LLM replies of a job whose writes were undone
    because a newer message took over the burst: tokens spent always count."""
    from vellarys.services.llm_brain import record_spend

    for item in spent:
        item.spend.superseded = True
        await record_spend(session, tenant_id, today, item.spend)
        await record_trace(
            session,
            tenant_id=tenant_id,
            lead_id=lead_id,
            message_id=item.message_id,
            spend=item.spend,
            seconds=item.seconds,
        )


async def record_trace(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    message_id: uuid.UUID | None,
    spend: LlmSpend,
    seconds: float,
    agency: str = "",
) -> LlmReport:
    """Store the trace of one LLM reply and return what the metrics count of it; names
    (the lead's, and any the lead gave in the prompt) are masked like e-mails and numbers."""
    said = [m.get("content") for m in spend.prompt if m.get("role") == "user"]
    names = [*spend.names, *filter(None, (name_in(t) for t in said if isinstance(t, str)))]
    session.add(
        LlmTrace(
            tenant_id=tenant_id,
            lead_id=lead_id,
            message_id=message_id,
            model=(spend.model or "?")[:120],
            outcome=spend.outcome,
            rounds=spend.rounds,
            prompt_tokens=spend.prompt_tokens,
            completion_tokens=spend.completion_tokens,
            latency_ms=round(seconds * 1000),
            tool_calls=[_redacted_call(c, names) for c in spend.tool_calls],
            refused=[
                {"reason": redact(why, names), "draft": redact(draft, names)}
                for why, draft in zip(spend.refused, spend.drafts, strict=False)
            ],
            prompt=[_redacted_message(m, names) for m in spend.prompt],
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
        agency=agency,
    )


def _fallback_reason(spend: LlmSpend) -> str | None:
    if spend.error is None:
        return None
    if spend.refused:
        return "refused"
    if "kept calling tools" in spend.error:
        return "tools"
    return "deadline" if "longer than" in spend.error else "error"


def _redacted_message(message: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    content = message.get("content")
    kept: dict[str, Any] = {"role": message.get("role")}
    if isinstance(content, str):
        kept["content"] = redact(content, names)[:_MAX_PART]
    return kept


def _redacted_call(call: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    arguments = {
        k: redact(v, names) if isinstance(v, str) else v
        for k, v in (call.get("arguments") or {}).items()
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
