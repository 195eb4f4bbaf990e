"""The brain's SQL round trips per message are counted on the real engine and kept in budget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.pipeline.harness import Stack
from vellarys.db.models import Tenant
from vellarys.db.uow import unit_of_work
from vellarys.services.inbound import handle_inbound
from vellarys.services.simulator import send_as_lead

# Statements of one answered qualification message (the second of a conversation, so the
# agency's places and staff are already kept in memory), SAVEPOINT and RELEASE included:
# burst (locked), turn savepoint, burst closed, lead + history, agency, visits, lead update,
# listing search (savepoint, stock with its count, exact search, the not-yet-embedded
# listings by price, release), reply stored, its send jobs, summary count, summary job,
# stage-change endpoints, newer-message check, release. (Main before this budget: 31.)
BUDGET = 19


@contextmanager
def counted(stack: Stack) -> Iterator[list[str]]:
    """Every statement the app's engine runs inside the block, in order."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split())[:100])

    engine = stack.container.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def _say(stack: Stack, phone: str, text: str) -> list[str]:
    container = stack.container
    async with unit_of_work(container.sessions) as session:
        tenant = await session.get(Tenant, stack.tenant_id)
        assert tenant is not None
        sent = await send_as_lead(
            session, container.pipeline, tenant=tenant, phone=phone, text=text
        )
    with counted(stack) as seen:
        async with unit_of_work(container.sessions) as session:
            outcome = await handle_inbound(session, container.pipeline, message_id=sent.message_id)
    assert outcome.outcome == "answered", outcome
    return seen


async def test_a_qualification_answer_stays_within_its_sql_budget(demo: Stack) -> None:
    phone = "+5511977000001"
    await _say(demo, phone, "Oi, boa tarde!")
    seen = await _say(demo, phone, "Quero comprar um apartamento de 2 quartos em Vila Mariana")
    listing = "\n".join(f"{n:>2} {s}" for n, s in enumerate(seen, 1))
    assert len(seen) <= BUDGET, f"{len(seen)} statements (budget {BUDGET}):\n{listing}"
    # One trip each for what the whole turn shares: the burst, the lead, the agency.
    assert sum(s.startswith("SELECT tenants.") for s in seen) == 1, listing
    assert sum("procrastinate_defer_jobs" in s for s in seen) <= 2, listing  # sends + summary
