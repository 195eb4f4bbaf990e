"""The demo agency that `make run` seeds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel, KnowledgeDocument, Property, User
from vellarys.domain.password import verify_password
from vellarys.services.demo import DEMO_LOGIN, seed_demo


async def _count(session: AsyncSession, model: type, tenant_id: object) -> int:
    query = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)  # type: ignore[attr-defined]
    return int((await session.execute(query)).scalar_one())


async def test_seeding_creates_the_demo_agency_once(session: AsyncSession) -> None:
    first = await seed_demo(session)
    again = await seed_demo(session)

    assert first.created and not again.created
    assert again.tenant.id == first.tenant.id
    tenant_id = first.tenant.id
    assert 55 <= await _count(session, Property, tenant_id) <= 65
    assert await _count(session, KnowledgeDocument, tenant_id) >= 12
    assert await _count(session, Channel, tenant_id) == 1


async def test_the_demo_admin_can_log_in_with_the_printed_password(session: AsyncSession) -> None:
    result = await seed_demo(session)
    users = (
        (await session.execute(select(User).where(User.tenant_id == result.tenant.id)))
        .scalars()
        .all()
    )
    roles = sorted(u.role for u in users)
    assert roles == ["admin", "broker", "broker"]
    admin = next(u for u in users if u.email == DEMO_LOGIN[0])
    assert verify_password(admin.password_hash, DEMO_LOGIN[1])
    assert not verify_password(admin.password_hash, "wrong")
