"""The operator's acts on the console: plans, an agency's plan, feature switches, suspend and
resume; and its reads: every agency's month against its plan, the audit log, logins.

Every act is audited with the operator's id, in the same transaction as the act."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Plan, Tenant
from vellarys.db.queries import console as queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain import features
from vellarys.domain.glossary import AuditAction
from vellarys.domain.plan_limits import Reading
from vellarys.errors import BadRequest, NotFound
from vellarys.services import audit, plans, tenant_usage

MAX_LIMIT = 2_000_000_000
TENANT = "tenant"


@dataclass(frozen=True, slots=True)
class Agency:
    tenant: Tenant
    usage: dict[str, Any]
    plan: Plan | None
    readings: list[Reading]


async def agencies(session: AsyncSession, *, now: datetime) -> list[Agency]:
    """Every agency with this month's usage and its plan's readings."""
    usage = {row["slug"]: row for row in await tenant_usage.this_month(session, now=now)}
    found = []
    for tenant in await tenant_queries.every_tenant(session):
        plan = await plans.plan_of(session, tenant)
        readings = [] if plan is None else await plans.month_readings(session, tenant, plan, now)
        found.append(Agency(tenant, usage.get(tenant.slug, {}), plan, readings))
    return found


async def all_plans(session: AsyncSession) -> list[Plan]:
    return await queries.all_plans(session)


def _limit(value: str | int | None) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise BadRequest("Os limites são números inteiros (vazio: sem limite).") from exc
    if not 0 <= number <= MAX_LIMIT:
        raise BadRequest("Os limites vão de 0 a 2 bilhões (vazio: sem limite).")
    return number


async def save_plan(
    session: AsyncSession, *, operator_id: uuid.UUID, name: str, limits: dict[str, Any]
) -> Plan:
    """Create the plan ``name`` or change its limits."""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise BadRequest("Dê um nome de até 80 caracteres ao plano.")
    values = {field: _limit(limits.get(field)) for field in plans.LIMIT_FIELDS}
    plan = await queries.plan_named(session, name)
    if plan is None:
        plan = Plan(name=name)
        session.add(plan)
    for field, value in values.items():
        setattr(plan, field, value)
    await session.flush()
    await audit.record_operator(
        session,
        operator_id=operator_id,
        action=AuditAction.PLAN_SAVED,
        tenant_id=None,
        target_type="plan",
        target_id=plan.id,
        details={"name": name, **values},
    )
    return plan


async def _tenant(session: AsyncSession, slug: str) -> Tenant:
    tenant = await tenant_queries.by_slug(session, slug)
    if tenant is None:
        raise NotFound("Imobiliária não encontrada.")
    return tenant


async def set_plan(
    session: AsyncSession, *, operator_id: uuid.UUID, slug: str, plan_id: uuid.UUID | None
) -> Tenant:
    tenant = await _tenant(session, slug)
    if plan_id is not None and await session.get(Plan, plan_id) is None:
        raise BadRequest("Plano não encontrado.")
    tenant.plan_id = plan_id
    await _record(
        session, operator_id, AuditAction.TENANT_PLAN_SET, tenant, {"plan_id": str(plan_id)}
    )
    return tenant


async def set_features(
    session: AsyncSession, *, operator_id: uuid.UUID, slug: str, on: set[str]
) -> Tenant:
    """Switch the agency's features: those in ``on`` on, every other known one off."""
    unknown = on - set(features.NAMES)
    if unknown:
        raise BadRequest(f"Recurso desconhecido: {', '.join(sorted(unknown))}.")
    tenant = await _tenant(session, slug)
    tenant.features = features.switched(on)
    await _record(session, operator_id, AuditAction.TENANT_FEATURES_SET, tenant, tenant.features)
    return tenant


async def set_active(
    session: AsyncSession, *, operator_id: uuid.UUID, slug: str, active: bool
) -> Tenant:
    """Suspend (staff cannot sign in) or resume an agency."""
    tenant = await _tenant(session, slug)
    tenant.active = active
    action = AuditAction.TENANT_RESUMED if active else AuditAction.TENANT_SUSPENDED
    await _record(session, operator_id, action, tenant, {})
    return tenant


async def _record(
    session: AsyncSession,
    operator_id: uuid.UUID,
    action: AuditAction,
    tenant: Tenant,
    details: dict[str, Any],
) -> None:
    await session.flush()
    await audit.record_operator(
        session,
        operator_id=operator_id,
        action=action,
        tenant_id=tenant.id,
        target_type=TENANT,
        target_id=tenant.id,
        details={"slug": tenant.slug, **details},
    )


async def audit_log(session: AsyncSession, filters: queries.Filters) -> list[dict[str, Any]]:
    rows = await queries.audit_entries(session, filters)
    return [
        {
            "at": entry.created_at,
            "agency": slug or "—",
            "who": staff or (f"operador {operator}" if operator else "sistema"),
            "action": entry.action,
            "target": f"{entry.target_type} {entry.target_id or ''}".strip(),
            "details": entry.details,
        }
        for entry, slug, staff, operator in rows
    ]


async def login_history(session: AsyncSession, filters: queries.Filters) -> list[dict[str, Any]]:
    rows = await queries.login_events(session, filters)
    return [
        {
            "at": event.at,
            "email": event.email,
            "agency": slug or ("operador" if event.operator_id else "—"),
            "succeeded": event.succeeded,
            "ip": event.ip or "",
            "user_agent": event.user_agent or "",
        }
        for event, slug in rows
    ]


async def tenant_slugs(session: AsyncSession) -> dict[str, uuid.UUID]:
    """Every agency's slug and id (the console's filters)."""
    return {tenant.slug: tenant.id for tenant in await tenant_queries.every_tenant(session)}
