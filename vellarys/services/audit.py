"""Who did what to which lead or user (LGPD), recorded by the act itself, never by an edge.

An entry is written in the same transaction as the act it records, so an act that rolls
back leaves no entry, and an entry always means the act happened. ``Actor`` is who acts:
a dashboard user, an API key, or the operator's command line.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import AuditEntry
from vellarys.db.queries import audit as queries
from vellarys.domain.glossary import AuditAction

# The names the LGPD service uses; they are ``AuditAction`` members.
VIEWED = AuditAction.LEAD_VIEWED
EXPORTED = AuditAction.LEAD_EXPORTED
ERASED = AuditAction.LEAD_ERASED
TOOK_OVER = AuditAction.LEAD_TAKEN_OVER
ACTIONS = tuple(AuditAction)
LEAD = "lead"
USER = "user"
DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does an act. A broker (``admin=False``) sees only their leads and the unassigned
    queue; an admin, a manager, an API key and the command line see all of the agency's."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    admin: bool = True

    @property
    def visible_to(self) -> uuid.UUID | None:
        """The ``visible_to`` of lead queries: a broker's user id, else None (everything)."""
        return None if self.admin else self.user_id


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    action: AuditAction,
    target_type: str,
    target_id: uuid.UUID | str | None,
    details: Mapping[str, object] | None = None,
    api_key_id: uuid.UUID | None = None,
) -> AuditEntry:
    """Add an entry. The actor is a dashboard user (``user_id``) or an API key
    (``api_key_id``, kept in ``details``). ``details`` must hold no personal data: the
    entry outlives an erasure."""
    data = dict(details or {})
    if api_key_id is not None:
        data["api_key_id"] = str(api_key_id)
    entry = AuditEntry(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        user_id=user_id,
        action=AuditAction(action).value,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=data,
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_act(
    session: AsyncSession,
    actor: Actor,
    action: AuditAction,
    *,
    target_type: str = LEAD,
    target_id: uuid.UUID | str | None = None,
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """``record`` for an ``Actor``: what every act calls as its last step."""
    return await record(
        session,
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        api_key_id=actor.api_key_id,
    )


async def entries_about(
    session: AsyncSession, *, tenant_id: uuid.UUID, target_type: str, target_id: uuid.UUID | str
) -> list[AuditEntry]:
    """Every entry about one object, oldest first."""
    return await queries.for_target(session, tenant_id, target_type, str(target_id))


async def record_operator(
    session: AsyncSession,
    *,
    operator_id: uuid.UUID,
    action: AuditAction,
    tenant_id: uuid.UUID | None,
    target_type: str,
    target_id: uuid.UUID | str | None,
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """An entry for an act of the operator's console (``tenant_id`` None: about no agency)."""
    entry = AuditEntry(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        operator_id=operator_id,
        action=AuditAction(action).value,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=dict(details or {}),
    )
    session.add(entry)
    await session.flush()
    return entry
