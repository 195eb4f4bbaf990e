"""Optional reads under one savepoint: a failing one never poisons the unit of work."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Tenant
from vellarys.services.retrieval import optional_group, optional_step


async def test_a_failing_read_in_a_group_is_skipped_and_the_others_and_earlier_writes_kept(
    session: AsyncSession,
) -> None:
    tenant_id = uuid.uuid4()
    tenant = Tenant(id=tenant_id, slug=f"grupo-{tenant_id.hex[:8]}", name="Antes")
    session.add(tenant)
    await session.flush()  # a write of the unit of work, made before the optional reads
    tenant.name = "Depois"  # and a change not written yet: the group must not lose it
    statements: list[str] = []

    async def read(sql: str) -> int:
        statements.append(sql)
        return int((await session.execute(text(sql))).scalar_one())

    async def steps() -> tuple[int, int, int]:
        first = await optional_step(session, "one", lambda: read("SELECT 1"), 0)
        broken = await optional_step(session, "two", lambda: read("SELECT x FROM no_table"), -1)
        third = await optional_step(session, "three", lambda: read("SELECT 3"), 0)
        return first, broken, third

    # The failing read aborts the group's savepoint; the group runs again step by step.
    assert await optional_group(session, "test", steps) == (1, -1, 3)
    grouped, one_by_one = ["SELECT 1", "SELECT x FROM no_table"], ["SELECT 1", "SELECT 3"]
    assert statements == [*grouped, *one_by_one[:1], grouped[1], *one_by_one[1:]]
    # The transaction is usable, the earlier write is still there, the pending change too
    # (the step-by-step retry flushed it, as each step's own savepoint always did).
    name = await session.scalar(text("SELECT name FROM tenants WHERE id = :id"), {"id": tenant_id})
    assert name == "Depois"

    # Without a failure, the steps run once and nothing is flushed: a pending change is
    # written with the turn's other writes.
    statements.clear()
    tenant.name = "Por fim"

    async def fine() -> int:
        return await optional_step(session, "one", lambda: read("SELECT 2"), 0)

    assert await optional_group(session, "test", fine) == 2
    assert statements == ["SELECT 2"]
    assert tenant in session.dirty
