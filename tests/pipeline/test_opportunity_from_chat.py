"""A lead who asks about the same listing twice gets an opportunity on it, opened by the
assistant through the real pipeline (webhook, queue, worker)."""

from __future__ import annotations

from sqlalchemy import text

from tests.pipeline.harness import Stack, meta_text
from vellarys.db.models import Property
from vellarys.db.uow import unit_of_work

PHONE = "5511955554444"


async def _deals(stack: Stack) -> list[tuple[str, str, object]]:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.execute(text(
            "SELECT p.code, o.stage, o.value FROM opportunities o "
            "JOIN properties p ON p.id = o.property_id WHERE o.tenant_id = :t"
        ), {"t": stack.tenant_id})  # fmt: skip
        return [(row[0], row[1], row[2]) for row in found.all()]


async def test_a_second_question_about_a_listing_opens_an_opportunity(stack: Stack) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        session.add(Property(
            tenant_id=stack.tenant_id, code="AP1102", title="Apartamento em Pinheiros",
            property_type="apartment", transaction="rent", price=4800, bedrooms=2, parking=1,
            neighborhood="Pinheiros", city="São Paulo", description="Perto do metrô.",
        ))  # fmt: skip
    await stack.post(meta_text("Oi! O AP1102 aceita pet?", phone=PHONE))
    await stack.drain()
    assert await _deals(stack) == []
    await stack.post(meta_text("E qual o valor do condomínio do AP1102?", phone=PHONE))
    await stack.drain()
    [(code, stage, value)] = await _deals(stack)
    assert (code, stage, float(str(value))) == ("AP1102", "new", 4800.0)
    async with unit_of_work(stack.container.sessions) as session:
        who = await session.execute(text(
            "SELECT user_id FROM audit_log WHERE action = 'opportunity.opened' AND tenant_id = :t"
        ), {"t": stack.tenant_id})  # fmt: skip
        assert who.scalars().all() == [None]  # the assistant
