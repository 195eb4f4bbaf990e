"""Erased identifiers (salted hashes) and the audit entries that may quote an erased lead."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import String, cast, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import AuditEntry, ErasedIdentifier, ErasureSalt


async def salt_of(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The agency's erasure salt, created at its first erasure."""
    await session.execute(
        insert(ErasureSalt)
        .values(tenant_id=tenant_id, salt=secrets.token_hex(32))
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    found = await session.execute(
        select(ErasureSalt.salt).where(ErasureSalt.tenant_id == tenant_id)
    )
    return found.scalar_one()


async def remember(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    digests: list[tuple[str, str]],
    erased_at: datetime,
) -> None:
    """Store (kind, digest) pairs; one already stored keeps its first erasure time."""
    if not digests:
        return
    rows = [
        {"tenant_id": tenant_id, "kind": kind, "digest": value, "erased_at": erased_at}
        for kind, value in digests
    ]
    await session.execute(
        insert(ErasedIdentifier)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "digest"])
    )


# The digest is computed in SQL with the agency's salt: one round trip per message, and
# nothing at all when the agency never erased anyone (no salt row, the join is empty).
_MATCH = text(
    """
    SELECT e.kind, e.erased_at FROM erased_identifiers e
    JOIN erasure_salts s ON s.tenant_id = e.tenant_id
    WHERE e.tenant_id = :tenant_id AND (
      (e.kind = 'message' AND e.digest = encode(sha256(convert_to(
          s.salt || ':message:' || :external_id, 'UTF8')), 'hex'))
      OR (e.kind = 'phone' AND e.digest = encode(sha256(convert_to(
          s.salt || ':phone:' || :phone, 'UTF8')), 'hex')))
    """
)


async def matches(
    session: AsyncSession, tenant_id: uuid.UUID, *, phone: str, external_id: str
) -> dict[str, datetime]:
    """Which of this message's identifiers belong to an erased lead: kind -> erased at."""
    found = await session.execute(
        _MATCH, {"tenant_id": tenant_id, "phone": phone, "external_id": external_id}
    )
    return {kind: at for kind, at in found.all()}


def _like(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def entries_mentioning(
    session: AsyncSession, tenant_id: uuid.UUID, needles: list[str]
) -> list[AuditEntry]:
    """The agency's audit entries whose details contain any needle (a coarse first pass;
    the domain decides which strings really quote the lead)."""
    if not needles:
        return []
    details = cast(AuditEntry.details, String)
    found = await session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.tenant_id == tenant_id,
            or_(*(details.ilike(_like(n)) for n in needles)),
        )
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return list(found.scalars())
