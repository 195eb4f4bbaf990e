"""Row-level security, the second tenant wall: a query that forgets the tenant filter still
returns only the tenant's rows inside a request's unit of work."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import make_settings
from vellarys.bootstrap import Container, build
from vellarys.db.models import Lead, Tenant
from vellarys.db.uow import unit_of_work


@pytest.fixture
async def two_agencies(
    fresh_database: Callable[[], str], tmp_path: Path
) -> AsyncIterator[tuple[Container, uuid.UUID, uuid.UUID]]:
    container = build(make_settings(fresh_database(), tmp_path))
    a, b = uuid.uuid4(), uuid.uuid4()
    async with unit_of_work(container.sessions) as session:
        session.add_all(
            [Tenant(id=a, slug="agencia-a", name="A"), Tenant(id=b, slug="agencia-b", name="B")]
        )
        await session.flush()
        session.add_all(
            [
                Lead(tenant_id=a, phone="+5511900000001"),
                Lead(tenant_id=a, phone="+5511900000002"),
                Lead(tenant_id=b, phone="+5511900000003"),
            ]
        )
    yield container, a, b
    await container.aclose()


async def test_an_unfiltered_query_in_a_tenants_transaction_sees_only_that_tenant(
    two_agencies: tuple[Container, uuid.UUID, uuid.UUID],
) -> None:
    container, a, b = two_agencies
    async with unit_of_work(container.sessions, tenant_id=a) as session:
        leads = (
            (await session.execute(select(Lead))).scalars().all()
        )  # no tenant filter, on purpose
        tenants = (await session.execute(select(Tenant.slug))).scalars().all()
        raw = (await session.execute(text("SELECT count(*) FROM leads"))).scalar_one()
    assert {lead.tenant_id for lead in leads} == {a}
    assert len(leads) == raw == 2
    assert tenants == ["agencia-a"]
    async with unit_of_work(container.sessions, tenant_id=b) as session:
        assert (await session.execute(select(func.count()).select_from(Lead))).scalar_one() == 1


async def test_a_tenants_transaction_cannot_write_into_another_tenant(
    two_agencies: tuple[Container, uuid.UUID, uuid.UUID],
) -> None:
    container, a, b = two_agencies
    with pytest.raises(DBAPIError, match="row-level security"):
        async with unit_of_work(container.sessions, tenant_id=a) as session:
            session.add(Lead(tenant_id=b, phone="+5511900000009"))
            await session.flush()
    async with unit_of_work(container.sessions, tenant_id=a) as session:
        moved = await session.execute(
            text("UPDATE leads SET name = 'x' WHERE tenant_id = :b"), {"b": b}
        )
        assert moved.rowcount == 0  # type: ignore[attr-defined]


async def test_requests_run_as_the_non_owner_role_and_the_tables_force_rls(
    two_agencies: tuple[Container, uuid.UUID, uuid.UUID],
) -> None:
    container, a, _ = two_agencies
    async with unit_of_work(container.sessions, tenant_id=a) as session:
        role = (await session.execute(text("SELECT current_user"))).scalar_one()
        unforced = (
            (
                await session.execute(
                    text(
                        "SELECT relname FROM pg_class WHERE relname IN ('leads', 'messages', 'properties', "
                        "'knowledge_chunks', 'users', 'tenants') AND NOT (relrowsecurity AND relforcerowsecurity)"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert role == "vellarys_app"
    assert unforced == []


async def test_a_request_transaction_with_no_tenant_named_sees_nothing(
    two_agencies: tuple[Container, uuid.UUID, uuid.UUID],
) -> None:
    container, _, _ = two_agencies
    async with unit_of_work(container.sessions) as session:
        await session.execute(text("SET LOCAL ROLE vellarys_app"))
        assert (await session.execute(text("SELECT count(*) FROM leads"))).scalar_one() == 0


async def test_the_tenant_index_still_serves_queries_under_the_policy(
    two_agencies: tuple[Container, uuid.UUID, uuid.UUID],
) -> None:
    container, a, _ = two_agencies
    async with unit_of_work(container.sessions, tenant_id=a) as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            (
                await session.execute(
                    text("EXPLAIN SELECT id FROM messages WHERE lead_id = gen_random_uuid()")
                )
            ).scalars()
        )
    assert "Seq Scan" not in plan
