"""read_message: a lead's acts read with this agency's staff, cities and the cards shown."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_tenant, make_user
from vellarys.adapters.embeddings.local_e5 import LocalE5Embedder
from vellarys.db.models import Property
from vellarys.domain.conversation import Turn
from vellarys.services.deps import PipelineDeps
from vellarys.services.understanding import read_message


def _never(_channel: object) -> object:
    raise AssertionError("no provider is needed to understand a message")


async def test_acts_resolve_staff_cards_and_the_agency_area(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    await make_user(session, tenant.id, name="Juliana Ferraz")
    session.add(
        Property(
            tenant_id=tenant.id,
            code="AP7001",
            title="Apê",
            property_type="apartment",
            transaction="sale",
            price=500_000,
            neighborhood="Mooca",
            city="São Paulo",
        )
    )
    lead = await make_lead(session, tenant.id)
    history = [
        Turn("user", "quero comprar um ap"),
        Turn("assistant", "Veja estas opções", media={"properties": ["AP7001", "AP7002"]}),
    ]
    deps = PipelineDeps(provider_for=_never, embedder=LocalE5Embedder())  # type: ignore[arg-type]

    acts = await read_message(
        session,
        deps,
        lead=lead,
        history=history,
        text="o segundo aceita pet? quero falar com a juliana. e vcs tem algo em Curitiba?",
    )

    assert [(a.kind, a.listing_code, a.staff_name) for a in acts] == [
        ("listing_question", "AP7002", None),
        ("ask_human", None, "Juliana Ferraz"),
        ("out_of_area", None, None),
    ]
