"""The portals' lead integration: each agency's URL and secret, and the leads posted to it.

The URL's key names the agency; the portal sends ``Authorization: Basic`` with the agency's
secret as the password (the user name is the portal's, e.g. ``vivareal``). Only a hash of
the secret is kept: it is shown once, when made.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import PortalIntake
from vellarys.db.queries import integration as queries
from vellarys.domain.portal_lead import InvalidPortalLead, read_portal_lead
from vellarys.errors import BadRequest, NotFound, Unauthorized
from vellarys.services.intake import Intake, LeadIn, take_lead


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def make_portal_secret(
    session: AsyncSession, *, tenant_id: uuid.UUID
) -> tuple[PortalIntake, str]:
    """The agency's intake (created on first use) with a new secret; the old one stops working."""
    secret = secrets.token_urlsafe(24)
    intake = await queries.portal_of(session, tenant_id)
    if intake is None:
        intake = PortalIntake(
            id=uuid.uuid4(), tenant_id=tenant_id, url_key=secrets.token_urlsafe(24)
        )
        session.add(intake)
    intake.secret_hash = _hash(secret)
    await session.flush()
    return intake, secret


async def portal_intake(session: AsyncSession, *, tenant_id: uuid.UUID) -> PortalIntake | None:
    return await queries.portal_of(session, tenant_id)


def portal_path(intake: PortalIntake) -> str:
    return f"/portal-leads/{intake.url_key}"


async def authorize(session: AsyncSession, *, url_key: str, authorization: str) -> uuid.UUID:
    """The agency whose URL and secret these are; ``NotFound`` for an unknown URL and
    ``Unauthorized`` for a missing or wrong secret."""
    intake = await queries.portal_by_key(session, url_key) if len(url_key) <= 64 else None
    if intake is None:
        raise NotFound("Endereço de integração desconhecido.")
    password = _basic_password(authorization)
    if password is None or not hmac.compare_digest(_hash(password), intake.secret_hash):
        raise Unauthorized("Credencial do portal ausente ou inválida.")
    return intake.tenant_id


def _basic_password(header: str) -> str | None:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, sep, password = decoded.partition(":")
    return password if sep else None


async def receive_portal_lead(
    session: AsyncSession, *, tenant_id: uuid.UUID, payload: Any, now: datetime
) -> Intake:
    """Take the posted lead (idempotent on the portal's lead id) and greet it on WhatsApp."""
    try:
        posted = read_portal_lead(payload)
    except InvalidPortalLead as exc:
        raise BadRequest(str(exc)) from exc
    lead_in = LeadIn(
        phone=posted.phone,
        source=posted.source,
        name=posted.name,
        email=posted.email,
        message=posted.message,
        listing_code=posted.listing_code,
        details=posted.details,
        key=f"portal:{posted.source}:{posted.lead_id}",
    )
    intake = await take_lead(session, tenant_id=tenant_id, lead_in=lead_in, now=now)
    stored = await queries.portal_of(session, tenant_id)
    if stored is not None:
        stored.last_lead_at = now
    return intake
