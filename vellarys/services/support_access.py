"""Support access: an agency's admin lets the operators read its leads for a limited time,
and can take it back. While it lasts, an operator sees the leads list and a lead's page
read-only from the console; every such view is audited. Without it, a 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Message, Tenant
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.glossary import AuditAction
from vellarys.domain.lead_search import LeadFilters
from vellarys.errors import BadRequest, NotFound
from vellarys.services import audit, leads
from vellarys.services.audit import Actor
from vellarys.services.leads import LeadPage

DURATIONS = {"24": "24 horas", "72": "72 horas", "168": "7 dias"}
NOT_FOUND = "Página não encontrada."


async def grant(session: AsyncSession, actor: Actor, *, hours: str, now: datetime) -> Tenant:
    """Open the agency to the operators for ``hours`` (one of ``DURATIONS``) from now."""
    if hours not in DURATIONS:
        raise BadRequest("Escolha por quanto tempo: 24 horas, 72 horas ou 7 dias.")
    tenant = await _own(session, actor)
    tenant.support_until = now + timedelta(hours=int(hours))
    await session.flush()
    details = {"until": tenant.support_until.isoformat()}
    await audit.record_act(
        session, actor, AuditAction.SUPPORT_GRANTED, target_type="tenant", target_id=tenant.id,
        details=details,
    )  # fmt: skip
    return tenant


async def revoke(session: AsyncSession, actor: Actor) -> Tenant:
    tenant = await _own(session, actor)
    tenant.support_until = None
    await session.flush()
    await audit.record_act(
        session, actor, AuditAction.SUPPORT_REVOKED, target_type="tenant", target_id=tenant.id
    )
    return tenant


async def _own(session: AsyncSession, actor: Actor) -> Tenant:
    tenant = await session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound(NOT_FOUND)
    return tenant


def is_open(tenant: Tenant, now: datetime) -> bool:
    return tenant.support_until is not None and tenant.support_until > now


async def _open_tenant(session: AsyncSession, tenant: Tenant | None, now: datetime) -> Tenant:
    if tenant is None or not is_open(tenant, now):
        raise NotFound(NOT_FOUND)
    return tenant


async def agency_leads(
    session: AsyncSession, *, operator_id: uuid.UUID, slug: str, page: int, now: datetime
) -> tuple[Tenant, LeadPage]:
    """One page of an agency's leads for an operator it opened to support; audited."""
    tenant = await _open_tenant(session, await tenant_queries.by_slug(session, slug), now)
    found = await leads.search_leads(
        session, tenant_id=tenant.id, filters=LeadFilters(), page=page, per_page=50
    )
    await _viewed(session, operator_id, tenant, None)
    return tenant, found


@dataclass(frozen=True, slots=True)
class SupportLead:
    tenant: Tenant
    lead: Lead
    messages: list[Message]


async def agency_lead(
    session: AsyncSession, *, operator_id: uuid.UUID, lead_id: uuid.UUID, now: datetime
) -> SupportLead:
    """A lead, with its latest messages, of an agency open to support; audited."""
    owner = await lead_queries.tenant_of(session, lead_id)
    tenant = await _open_tenant(
        session, None if owner is None else await session.get(Tenant, owner), now
    )
    lead = await leads.get_lead(session, tenant_id=tenant.id, lead_id=lead_id)
    page = await leads.list_messages(session, tenant_id=tenant.id, lead_id=lead.id)
    await _viewed(session, operator_id, tenant, lead.id)
    return SupportLead(tenant, lead, list(page.items))


async def _viewed(
    session: AsyncSession, operator_id: uuid.UUID, tenant: Tenant, lead_id: uuid.UUID | None
) -> None:
    await audit.record_operator(
        session,
        operator_id=operator_id,
        action=AuditAction.SUPPORT_VIEWED,
        tenant_id=tenant.id,
        target_type="lead" if lead_id else "tenant",
        target_id=lead_id or tenant.id,
        details={"slug": tenant.slug, "lead_id": str(lead_id) if lead_id else None},
    )
