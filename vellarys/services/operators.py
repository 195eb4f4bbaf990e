"""Operator (superadmin) accounts: created from the command line, signed in on the same
login page as agency staff, with their own server-side sessions. Every sign-in attempt,
staff's and operators', is kept in the login history."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import LoginEvent, Operator, OperatorSession
from vellarys.db.queries import operator as operator_queries
from vellarys.db.queries import security as security_queries
from vellarys.domain.password import hash_password, verify_password
from vellarys.errors import BadRequest, Conflict
from vellarys.services.accounts import MIN_PASSWORD
from vellarys.services.sessions import token_hash

OPERATOR_SESSION_HOURS = 12


@dataclass(frozen=True, slots=True)
class OperatorViewer:
    operator_id: uuid.UUID
    email: str
    name: str


async def create_operator(
    session: AsyncSession, *, email: str, name: str, password: str
) -> Operator:
    """A new operator; ``Conflict`` when the e-mail is taken by an operator."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise BadRequest("Informe um e-mail válido.")
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"A senha precisa de pelo menos {MIN_PASSWORD} caracteres.")
    if await operator_queries.by_email(session, email) is not None:
        raise Conflict("Já existe um operador com esse e-mail.")
    operator = Operator(
        email=email, name=name.strip()[:200] or email, password_hash=hash_password(password)
    )
    session.add(operator)
    await session.flush()
    return operator


async def authenticate_operator(
    session: AsyncSession, *, email: str, password: str, ip: str, now: datetime
) -> OperatorViewer | None:
    """The active operator with these credentials, or None. Called after the staff check
    (which counts failures per e-mail and IP): a success clears that count."""
    operator = await operator_queries.by_email(session, email, active=True)
    if operator is None or not verify_password(operator.password_hash, password):
        return None
    operator.last_login_at = now
    await security_queries.clear_login_failures(session, email.strip().lower(), ip)
    return OperatorViewer(operator.id, operator.email, operator.name)


async def open_operator_session(
    session: AsyncSession,
    *,
    operator: OperatorViewer,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        OperatorSession(
            operator_id=operator.operator_id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=OPERATOR_SESSION_HOURS),
            ip=(ip or "")[:64] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    await session.flush()
    return token


async def operator_of(session: AsyncSession, *, token: str, now: datetime) -> OperatorViewer | None:
    """The operator behind a session token, or None (unknown, revoked, expired, inactive)."""
    operator = await operator_queries.by_session(session, token_hash(token), now)
    return None if operator is None else OperatorViewer(operator.id, operator.email, operator.name)


async def revoke_operator_session(session: AsyncSession, *, token: str, now: datetime) -> None:
    await operator_queries.revoke(session, token_hash(token), now)


async def record_login(
    session: AsyncSession,
    *,
    email: str,
    succeeded: bool,
    at: datetime,
    ip: str | None,
    user_agent: str | None,
    tenant_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    operator_id: uuid.UUID | None = None,
) -> None:
    """One line of the login history (no password, ever). A failure for a staff e-mail is
    filed under that person's agency, so the agency filter shows it."""
    if tenant_id is None and operator_id is None:
        known = await operator_queries.staff_of_email(session, email)
        if known is not None:
            tenant_id, user_id = known
    session.add(
        LoginEvent(
            at=at,
            email=email.strip().lower()[:320],
            succeeded=succeeded,
            ip=(ip or "")[:64] or None,
            user_agent=(user_agent or "")[:300] or None,
            tenant_id=tenant_id,
            user_id=user_id,
            operator_id=operator_id,
        )
    )
    await session.flush()
