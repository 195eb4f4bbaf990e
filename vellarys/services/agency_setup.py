"""An agency set up from the operator's console in one act: the agency, its admin (with a
temporary password shown once, as ``vellarys user create`` does), optionally its first
channel, and its plan. One unit of work: a refused field leaves nothing written."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.whatsapp import CONNECTABLE, REGISTRY
from vellarys.db.models import Plan, Tenant
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.glossary import AuditAction
from vellarys.errors import BadRequest, Conflict
from vellarys.services import accounts, audit, channel, staff
from vellarys.services.audit import Actor


@dataclass(frozen=True, slots=True)
class NewAgency:
    """What the operator typed in the console's form."""

    name: str
    slug: str
    admin_name: str
    admin_email: str
    plan_id: uuid.UUID | None = None
    provider: str = ""  # "" = no channel yet
    identity: str = ""
    credentials: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class AgencyCreated:
    tenant: Tenant
    admin_email: str
    temporary_password: str | None


async def _checked(session: AsyncSession, new: NewAgency) -> None:
    """Every check that needs no row written, before any is."""
    if not accounts.SLUG.match(new.slug):
        raise BadRequest("O identificador tem de 2 a 63 letras minúsculas, números ou hífens.")
    if not new.name.strip() or len(new.name.strip()) > 200:
        raise BadRequest("Dê um nome de até 200 caracteres à imobiliária.")
    if await tenant_queries.by_slug(session, new.slug) is not None:
        raise Conflict(f"Já existe uma imobiliária com o identificador {new.slug}.")
    if new.plan_id is not None and await session.get(Plan, new.plan_id) is None:
        raise BadRequest("Plano não encontrado.")
    if new.provider and new.provider not in CONNECTABLE:
        raise BadRequest("Provedor de WhatsApp desconhecido.")


async def create_agency(
    session: AsyncSession,
    *,
    operator_id: uuid.UUID,
    new: NewAgency,
    secret_key: str | None,
    allow_private_urls: bool = False,
) -> AgencyCreated:
    """Create the agency, its admin, its first channel (when a provider is given) and set its
    plan; audited with the operator's id. Raises before commit on any refused field."""
    await _checked(session, new)
    tenant = await accounts.create_tenant(session, slug=new.slug, name=new.name)
    tenant.plan_id = new.plan_id
    invitation = await staff.create_user(
        session,
        Actor(tenant_id=tenant.id),
        email=new.admin_email,
        role="admin",
        name=new.admin_name,
    )
    if new.provider:
        spec = REGISTRY[new.provider]
        given = new.credentials or {}
        await channel.add_channel(
            session,
            tenant_id=tenant.id,
            provider=new.provider,
            identity=new.identity,
            credentials={f.key: given.get(f.key, "") for f in spec.fields},
            secret_key=secret_key,
            allow_private_urls=allow_private_urls,
        )
    details = {"slug": tenant.slug, "plan_id": str(new.plan_id), "channel": new.provider or None}
    await audit.record_operator(
        session,
        operator_id=operator_id,
        action=AuditAction.TENANT_CREATED,
        tenant_id=tenant.id,
        target_type="tenant",
        target_id=tenant.id,
        details=details,
    )
    return AgencyCreated(tenant, invitation.user.email, invitation.temporary_password)
