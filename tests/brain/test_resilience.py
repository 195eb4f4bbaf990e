"""Optional steps fail without losing the lead's message, and one agency's data stays its own."""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import text

from tests.brain.chat import Conversation
from tests.pipeline.harness import Stack
from vellarys.db.models import Property, Tenant
from vellarys.db.uow import unit_of_work
from vellarys.services import knowledge, property_search


async def _break(stack: Stack, sql: str) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(text(sql))


async def test_a_failing_knowledge_search_is_skipped_and_the_reply_still_goes_out(
    demo: Stack,
) -> None:
    await _break(demo, "ALTER TABLE knowledge_embeddings RENAME TO knowledge_embeddings_gone")
    chat = Conversation(demo, "5511966000001")
    replies = await chat.say("Quais documentos preciso para alugar?")
    assert replies
    inbound = await demo.messages(direction="inbound")
    assert [m.content for m in inbound] == ["Quais documentos preciso para alugar?"]
    assert all(m.processed_at is not None for m in inbound)
    assert all(m.status == "sent" for m in await demo.messages(direction="outbound"))


async def test_a_failing_property_search_is_skipped_and_the_reply_still_goes_out(
    demo: Stack,
) -> None:
    await _break(demo, "ALTER TABLE property_embeddings RENAME TO property_embeddings_gone")
    chat = Conversation(demo, "5511966000002")
    replies = await chat.say("quero comprar um apartamento em Pinheiros até 900 mil")
    assert replies
    lead = await chat.lead()
    assert lead.custom_data["budget_max"] == 900_000  # the rest of the work was kept


async def test_a_failing_summary_is_skipped_and_never_undoes_the_conversation(
    demo: Stack,
) -> None:
    demo.container.pipeline = replace(
        demo.container.pipeline, settings=replace(demo.container.pipeline.settings, summary_every=1)
    )
    # Any summary write now violates a constraint: the summary step must fail on its own.
    await _break(
        demo, "ALTER TABLE leads ADD CONSTRAINT no_summary CHECK (summary IS NULL) NOT VALID"
    )
    chat = Conversation(demo, "5511966000003")
    assert await chat.say("Oi, quero alugar um studio")
    assert await chat.say("até 3 mil")
    lead = await chat.lead()
    assert lead.summary is None
    assert lead.custom_data["budget_max"] == 3000
    jobs = await demo.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:summarize_lead' "
        "AND status = 'succeeded'"
    )
    assert jobs >= 1


async def test_another_agencys_listings_and_knowledge_never_reach_this_agencys_leads(
    demo: Stack,
) -> None:
    other = uuid.uuid4()
    async with unit_of_work(demo.container.sessions) as session:
        session.add(Tenant(id=other, slug="outra-imob", name="Outra Imobiliária"))
        await session.flush()
        session.add(Property(
            tenant_id=other, code="ZZ9001", title="Cobertura secreta em Pinheiros",
            property_type="apartment", transaction="sale", price=650_000, bedrooms=2, parking=1,
            neighborhood="Pinheiros", city="São Paulo", description="Perto do metrô Fradique.",
        ))  # fmt: skip
        document = await knowledge.add_document(
            session, tenant_id=other, title="Documentos", filename="docs.md", source_type="markdown",
            content="# Documentos para alugar\n\nPara alugar conosco basta o passaporte zebrado.",
        )  # fmt: skip
        await session.flush()
        await property_search.index_pending_properties(
            session, demo.container.embedder, tenant_id=other
        )
        await knowledge.index_document(
            session, demo.container.embedder, tenant_id=other, document_id=document.id
        )
    chat = Conversation(demo, "5511966000004")
    await chat.say("quero comprar um apartamento de 2 quartos em Pinheiros até 700 mil")
    await chat.say("Quais documentos preciso para alugar?")
    await chat.say("vi o anúncio ZZ9001")
    said = chat.text_since(0)
    assert "Código: ZZ9001" not in said  # no card; at most "não encontrei o ZZ9001"
    assert "zebrado" not in said
    assert "secreta" not in said
