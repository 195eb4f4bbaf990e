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

# Statements of one answered message (the agency's places and staff already kept in memory),
# SAVEPOINT and RELEASE included. A qualification answer: burst (locked), turn savepoint, the
# turn's read (lead, history, agency, summary count, visits and webhook flags), lead update,
# listing search (savepoint, stock with its count, exact search, the not-yet-embedded
# listings by price, release), reply stored, the closing statement (burst closed,
# newer-message check, send and summary jobs), release. (Main before this budget: 19.)
BUDGET = 12
# The other kinds, each a first message of its own lead (goal: BUDGET for every kind). A
# knowledge question also searches the documents; a listing code looks the listing up, notes
# the ask as a possible deal and answers from the documents too; financing searches both.
KIND_BUDGETS = {"greeting": BUDGET, "knowledge": 13, "listing code": 20, "financing": 15}


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


async def test_each_kind_of_message_stays_within_its_sql_budget(demo: Stack) -> None:
    phone = "+5511977000001"
    await _say(demo, phone, "Oi, boa tarde!")
    seen = await _say(demo, phone, "Quero comprar um apartamento de 2 quartos em Vila Mariana")
    _within_budget("qualification", seen)
    # One trip each for what the whole turn shares: the burst, the lead, the agency.
    assert sum(s.startswith("SELECT tenants.") for s in seen) <= 1, seen
    # The burst closed, the newer-message check and the reply's jobs: one statement.
    assert sum(s.startswith("WITH closed AS") for s in seen) == 1, seen
    assert not any("procrastinate_defer_jobs" in s for s in seen), seen
    others = {
        "greeting": "Olá, bom dia! Tudo bem?",
        "knowledge": "Quais documentos preciso para alugar?",
        "listing code": "O AP1102 ainda está disponível? Qual o valor do condomínio?",
        "financing": "Vocês aceitam financiamento pela Caixa? Posso usar o FGTS?",
    }
    counts = {"qualification": len(seen)}
    for n, (kind, said) in enumerate(others.items(), 2):
        counts[kind] = len(await _say(demo, f"+55119770000{n:02}", said))
    assert all(counts[kind] <= budget for kind, budget in KIND_BUDGETS.items()), counts


def _within_budget(kind: str, seen: list[str]) -> None:
    listing = "\n".join(f"{n:>2} {s}" for n, s in enumerate(seen, 1))
    assert len(seen) <= BUDGET, f"{kind}: {len(seen)} statements (budget {BUDGET}):\n{listing}"
