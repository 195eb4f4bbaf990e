"""Every periodic job runs here against the real database; a new one without a test fails."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from tests.pipeline.harness import Stack, meta_text
from tests.pipeline.periodic import periodic_task_names, run_periodic
from vellarys.db.models import Property
from vellarys.db.queue import (
    INDEX_PROPERTIES,
    defer_index_properties,
    index_lock,
    task_name,
    tenants_being_indexed,
)
from vellarys.db.uow import unit_of_work

TESTS = Path(__file__).resolve().parents[1]


def _periodic_tasks_run_by_tests() -> set[str]:
    """Tasks run by a test: ``run_periodic(stack, "name")`` or a job deferred through
    ``app.configure_task("vellarys:name")``, anywhere under tests/."""
    found = set()
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            literal = node.args[-1]
            if name in ("run_periodic", "configure_task") and isinstance(literal, ast.Constant):
                found.add(str(literal.value).split(":")[-1])
    return found


def test_every_registered_periodic_task_is_run_by_a_test() -> None:
    registered = periodic_task_names()
    assert "requeue_stuck_outbound" in registered  # the registry is really read
    untested = registered - _periodic_tasks_run_by_tests()
    assert not untested, f"periodic tasks with no test: {sorted(untested)}"


async def test_rescue_stalled_jobs_puts_a_dead_workers_job_back_in_the_queue(
    stack: Stack,
) -> None:
    await stack.post(meta_text("Oi"))
    # A worker that registered, took the job and died: its heartbeat is an hour old.
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(
            text(
                "WITH w AS (INSERT INTO procrastinate_workers (last_heartbeat) "
                "VALUES (now() - interval '1 hour') RETURNING id) "
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT id FROM w) "
                "WHERE task_name = 'vellarys:handle_inbound'"
            )
        )
    assert await run_periodic(stack, "rescue_stalled_jobs") == "succeeded"
    assert (
        await stack.scalar(
            "SELECT status FROM procrastinate_jobs WHERE task_name = 'vellarys:handle_inbound'"
        )
        == "todo"
    )
    await stack.drain()
    assert await stack.messages(direction="outbound")


async def test_prune_finished_jobs_deletes_old_finished_jobs_only(stack: Stack) -> None:
    await stack.post(meta_text("Oi"))
    await stack.drain()
    replies = len(await stack.messages(direction="outbound"))
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(
            text(
                "UPDATE procrastinate_events SET at = at - interval '100 hours' WHERE job_id IN "
                "(SELECT id FROM procrastinate_jobs WHERE task_name = 'vellarys:handle_inbound')"
            )
        )
    assert await run_periodic(stack, "prune_finished_jobs") == "succeeded"
    assert await stack.count_jobs("vellarys:handle_inbound") == 0  # finished 100 hours ago
    assert await stack.count_jobs("vellarys:send_outbound") == replies  # finished just now


async def test_prune_message_rates_deletes_windows_long_over(stack: Stack) -> None:
    await stack.post(meta_text("Oi"))
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(
            text(
                "INSERT INTO message_rates (tenant_id, scope, window_start, count) "
                "VALUES (:t, 'agency', date_trunc('minute', now()) - interval '1 hour', 7)"
            ),
            {"t": stack.tenant_id},
        )
    assert await stack.scalar("SELECT count(*) FROM message_rates") == 3
    assert await run_periodic(stack, "prune_message_rates") == "succeeded"
    # The current minute's counters (agency and lead) stay.
    assert await stack.scalar("SELECT count(*) FROM message_rates") == 2


async def test_reindex_stale_tenants_embeds_a_listing_that_has_no_embedding(
    stack: Stack,
) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        session.add(
            Property(
                tenant_id=stack.tenant_id,
                code="AP-1",
                title="Apartamento em Pinheiros",
                property_type="apartment",
                transaction="sale",
                price=Decimal(700000),
                neighborhood="Pinheiros",
                city="São Paulo",
            )
        )
    assert await stack.scalar("SELECT count(*) FROM property_embeddings") == 0
    assert await run_periodic(stack, "reindex_stale_tenants") == "succeeded"
    await stack.drain()
    assert await stack.scalar("SELECT count(*) FROM property_embeddings") == 1
    # The work went through the agency's indexing job, behind the agency's indexing lock.
    # (DISTINCT: the worker's own every-10-minutes reindex may fall inside the drain.)
    locks = await stack.scalar(
        "SELECT array_agg(DISTINCT lock) FROM procrastinate_jobs WHERE task_name = :t",
        t=task_name(INDEX_PROPERTIES),
    )
    assert locks == [index_lock(stack.tenant_id)]
    # While an agency's indexing job waits, the periodic run queues no second one.
    async with unit_of_work(stack.container.sessions) as session:
        await defer_index_properties(session, tenant_id=stack.tenant_id)
    async with unit_of_work(stack.container.sessions) as session:
        assert await tenants_being_indexed(session) == {str(stack.tenant_id)}
