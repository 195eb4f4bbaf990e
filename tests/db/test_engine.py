"""The engine's per-connection settings and the indexes the hot queries rely on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import make_settings
from vellarys.bootstrap import Container, build
from vellarys.db.uow import unit_of_work
from vellarys.errors import QueryTimeout


@pytest.fixture
async def strict_container(database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    # One connection only, so "usable afterwards" is about the very connection that timed out.
    # 1.5 s: short enough to wait for, long enough that a loaded machine's setup queries pass.
    settings = make_settings(
        database_url, tmp_path, statement_timeout_ms=1500, db_pool_size=1, db_max_overflow=0
    )
    built = build(settings)
    yield built
    await built.aclose()


async def test_a_slow_query_is_cancelled_with_a_clear_error_and_the_connection_stays_usable(
    strict_container: Container,
) -> None:
    async with unit_of_work(strict_container.sessions) as session:
        pid_before = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()

    with pytest.raises(QueryTimeout) as caught:
        async with unit_of_work(strict_container.sessions) as session:
            await session.execute(text("SELECT pg_sleep(6)"))
    assert "cancelled" in caught.value.message
    assert caught.value.status_code == 503

    async with unit_of_work(strict_container.sessions) as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        pid_after = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    assert pid_after == pid_before


async def test_every_connection_is_named_vellarys_api_in_pg_stat_activity(
    container: Container,
) -> None:
    async with unit_of_work(container.sessions) as session:
        names = (
            await session.execute(
                text(
                    "SELECT application_name, current_setting('statement_timeout') "
                    "FROM pg_stat_activity WHERE pid = pg_backend_pid()"
                )
            )
        ).one()
    assert names == ("vellarys_api", "1min")


async def _seed_messages(session: AsyncSession, leads: int, per_lead: int) -> uuid.UUID:
    await session.execute(
        text(
            """
            WITH t AS (
              INSERT INTO tenants (id, slug, name) VALUES (gen_random_uuid(), :slug, 'Bench')
              RETURNING id
            ), l AS (
              INSERT INTO leads (id, tenant_id, phone)
              SELECT gen_random_uuid(), t.id, '+5511' || lpad(g::text, 9, '0')
              FROM t, generate_series(1, :leads) g RETURNING id, tenant_id
            )
            INSERT INTO messages (id, tenant_id, lead_id, role, direction, status, content,
                                  created_at)
            SELECT gen_random_uuid(), l.tenant_id, l.id,
                   CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END,
                   CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
                   CASE WHEN g % 2 = 0 THEN 'received' ELSE 'sent' END,
                   'mensagem ' || g, now() - make_interval(secs => g)
            FROM l, generate_series(1, :per_lead) g
            """
        ),
        {"slug": f"bench-{uuid.uuid4().hex[:8]}", "leads": leads, "per_lead": per_lead},
    )
    await session.execute(text("ANALYZE messages"))
    return (await session.execute(text("SELECT lead_id FROM messages LIMIT 1"))).scalar_one()


async def test_last_30_messages_of_a_lead_use_the_lead_created_role_index(
    session: AsyncSession,
) -> None:
    lead_id = await _seed_messages(session, leads=200, per_lead=100)
    plan = (
        await session.execute(
            text(
                "EXPLAIN SELECT id, role, content, created_at FROM messages "
                "WHERE lead_id = :lead ORDER BY created_at DESC LIMIT 30"
            ),
            {"lead": lead_id},
        )
    ).scalars()
    assert "ix_messages_lead_created_role" in "\n".join(plan)
