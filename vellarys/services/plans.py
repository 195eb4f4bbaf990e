"""Plans and their limits, per agency: the month's usage against the plan, the admins told at
80 % and past 100 %, the LLM stopped (never the answer) past the message or token limit, and
one more broker refused past the broker limit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Notification, Plan, Tenant
from vellarys.db.queries import console as console_queries
from vellarys.db.queries import usage as usage_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain import features, plan_limits
from vellarys.domain.plan_limits import Reading
from vellarys.errors import Conflict
from vellarys.services.tenant_usage import month_bounds

LIMIT_FIELDS = (
    "max_brokers",
    "max_leads_month",
    "max_messages_month",
    "max_llm_tokens_month",
    "max_storage_mb",
)
NOTICE_KIND = "plan_limit"


async def plan_of(session: AsyncSession, tenant: Tenant) -> Plan | None:
    return None if tenant.plan_id is None else await session.get(Plan, tenant.plan_id)


async def month_readings(
    session: AsyncSession, tenant: Tenant, plan: Plan, now: datetime, *, storage: bool = True
) -> list[Reading]:
    """The plan's monthly limits against the agency's month so far (``storage=False``: the
    pipeline's per-message check, which skips summing the stored bytes)."""
    start, end = month_bounds(now)
    if storage:
        [row] = await usage_queries.month_usage(session, start=start, end=end, slug=tenant.slug)
        counts = (row.messages_in + row.messages_out, row.llm_tokens, row.leads)
        stored_mb = row.storage_bytes // (1024 * 1024)
    else:
        counts = await usage_queries.month_counts(session, tenant.id, start=start, end=end)
        stored_mb = 0
    used = {
        plan_limits.MESSAGES: counts[0],
        plan_limits.LLM_TOKENS: counts[1],
        plan_limits.LEADS: counts[2],
        plan_limits.STORAGE: stored_mb,
    }
    limits = {
        plan_limits.MESSAGES: plan.max_messages_month,
        plan_limits.LLM_TOKENS: plan.max_llm_tokens_month,
        plan_limits.LEADS: plan.max_leads_month,
        plan_limits.STORAGE: plan.max_storage_mb if storage else None,
    }
    return plan_limits.readings(used, limits)


async def observe(session: AsyncSession, tenant: Tenant, now: datetime) -> str | None:
    """Tell the admins (once per month and level) about limits near or past, and return the
    kind that stops the LLM this month ("messages", "llm_tokens"), or None."""
    plan = await plan_of(session, tenant)
    if plan is None:
        return None
    found = await month_readings(session, tenant, plan, now, storage=False)
    month = f"{month_bounds(now)[0]:%Y-%m}"
    for reading in found:
        if reading.level is not None:
            await _tell_admins(session, tenant.id, reading, month)
    return plan_limits.llm_stopped(found)


async def llm_withheld(session: AsyncSession, tenant: Tenant, now: datetime) -> str | None:
    """Why the LLM must not be called for this agency now: "switched_off" (the operator's
    feature switch) or the plan limit past this month ("messages", "llm_tokens"); None when
    it may. Admins are told of limits near or past here."""
    stopped = await observe(session, tenant, now)
    if not features.enabled(tenant.features, features.LLM_BRAIN):
        return "switched_off"
    return stopped


async def _tell_admins(
    session: AsyncSession, tenant_id: uuid.UUID, reading: Reading, month: str
) -> None:
    ref = f"{reading.kind}:{reading.level}:{month}"
    for admin in await user_queries.active_admins(session, tenant_id):
        if not await console_queries.notice_given(session, tenant_id, admin.id, NOTICE_KIND, ref):
            text = plan_limits.notice(reading, month)
            session.add(
                Notification(
                    tenant_id=tenant_id, user_id=admin.id, kind=NOTICE_KIND, ref=ref, text=text
                )
            )
    await session.flush()


async def ensure_broker_room(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """``Conflict`` when the agency's plan has no room for one more active staff member."""
    tenant = await session.get(Tenant, tenant_id)
    plan = None if tenant is None else await plan_of(session, tenant)
    if plan is None or plan.max_brokers is None:
        return
    if await console_queries.active_staff_count(session, tenant_id) >= plan.max_brokers:
        raise Conflict(
            f"O plano da imobiliária permite até {plan.max_brokers} corretores ativos. "
            "Desative um corretor ou fale com o suporte para ampliar o plano."
        )


def limits_of(plan: Plan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in LIMIT_FIELDS}
