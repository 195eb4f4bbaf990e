"""Property search: SQL filters first, semantic ranking second, widening reported in order."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.embedder import MemoizedEmbedder, shared_embedder
from vellarys.db.models import Property, PropertyEmbedding, Tenant
from vellarys.services import property_search
from vellarys.services.demo import seed_demo


@pytest.fixture
def embedder() -> MemoizedEmbedder:
    return shared_embedder()


async def make_tenant(session: AsyncSession) -> uuid.UUID:
    tenant = Tenant(slug=f"t-{uuid.uuid4().hex[:10]}", name="Imobiliária Teste")
    session.add(tenant)
    await session.flush()
    return tenant.id


async def add_property(session: AsyncSession, tenant_id: uuid.UUID, **values: Any) -> Property:
    code = values.pop("code", f"AP{uuid.uuid4().hex[:6].upper()}")
    defaults: dict[str, Any] = {
        "title": f"Apartamento {code}",
        "property_type": "apartment",
        "transaction": "sale",
        "price": 700_000,
        "bedrooms": 2,
        "parking": 1,
        "neighborhood": "Pinheiros",
        "city": "São Paulo",
        "description": "Apartamento bem localizado.",
        "features": [],
    }
    row = defaults | values
    row["price"] = Decimal(row["price"])
    prop = Property(tenant_id=tenant_id, code=code, **row)
    session.add(prop)
    await session.flush()
    return prop


async def search(
    session: AsyncSession,
    embedder: MemoizedEmbedder,
    tenant_id: uuid.UUID,
    profile: dict[str, Any],
    text: str = "",
    k: int = 10,
    **kwargs: Any,
) -> property_search.PropertySearch:
    return await property_search.search_properties(
        session, embedder, tenant_id=tenant_id, profile=profile, text=text, k=k, **kwargs
    )


def codes(found: property_search.PropertySearch) -> set[str]:
    return {hit.code for hit in found.hits}


@pytest.fixture
async def demo(session: AsyncSession, embedder: MemoizedEmbedder) -> uuid.UUID:
    seeded = await seed_demo(session)
    await property_search.index_pending_properties(session, embedder, tenant_id=seeded.tenant.id)
    return seeded.tenant.id


# --- filters ------------------------------------------------------------------------------


async def test_price_band_tolerates_5_percent_above_and_10_percent_below_the_budget(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    for code, price in [
        ("P530", 530_000),
        ("P545", 545_000),
        ("P700", 700_000),
        ("P735", 735_000),
        ("P740", 740_000),
    ]:
        await add_property(session, tenant_id, code=code, price=price)

    found = await search(
        session,
        embedder,
        tenant_id,
        {"intent": "buy", "budget_min": 600_000, "budget_max": 700_000},
    )

    assert codes(found) == {"P545", "P700", "P735"}
    assert found.widened == ()


async def test_bedrooms_and_parking_are_minimums(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(session, tenant_id, code="B1", bedrooms=1, parking=2)
    await add_property(session, tenant_id, code="B2", bedrooms=2, parking=0)
    await add_property(session, tenant_id, code="B3", bedrooms=3, parking=1)
    await add_property(session, tenant_id, code="B4", bedrooms=4, parking=3)

    found = await search(session, embedder, tenant_id, {"bedrooms": 2, "parking": 1})

    assert codes(found) == {"B3", "B4"}


async def test_neighborhoods_and_city_match_the_agency_spelling_ignoring_case(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(session, tenant_id, code="PIN", neighborhood="Pinheiros")
    await add_property(session, tenant_id, code="MOE", neighborhood="Moema")
    await add_property(session, tenant_id, code="VM", neighborhood="Vila Madalena")
    await add_property(session, tenant_id, code="OSA", neighborhood="Centro", city="Osasco")

    found = await search(
        session,
        embedder,
        tenant_id,
        {"neighborhoods": ["pinheiros", "Vila Madalena"], "city": "são paulo"},
    )
    in_osasco = await search(session, embedder, tenant_id, {"city": "Osasco"})

    assert codes(found) == {"PIN", "VM"}
    assert codes(in_osasco) == {"OSA"}


async def test_a_budget_with_condominio_caps_rent_plus_condominio(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    rent = {"transaction": "rent"}
    await add_property(session, tenant_id, code="CHEAP", price=2_300, condo_fee=600, **rent)
    await add_property(session, tenant_id, code="FEES", price=2_800, condo_fee=620, **rent)
    profile = {"intent": "rent", "budget_max": 3_000}

    assert codes(await search(session, embedder, tenant_id, profile)) == {"CHEAP", "FEES"}
    total = await search(session, embedder, tenant_id, profile | {"rent_includes_fees": True})
    assert codes(total) == {"CHEAP"}


async def test_more_options_page_past_the_cards_sent_without_widening(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    for code in ("ST1", "ST2"):
        await add_property(session, tenant_id, code=code, property_type="studio")
    await add_property(session, tenant_id, code="AP1", property_type="apartment")
    profile = {"intent": "buy", "property_type": "studio"}

    page = await search(session, embedder, tenant_id, profile, exclude_codes=("ST1",))
    assert codes(page) == {"ST2"}
    done = await search(
        session, embedder, tenant_id, profile, exclude_codes=("ST1", "ST2"), widen=False
    )
    assert codes(done) == set() and done.widened == ()


async def test_rent_and_sale_never_mix_even_when_widening(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(session, tenant_id, code="SALE", transaction="sale", price=650_000)
    await add_property(session, tenant_id, code="RENT", transaction="rent", price=3_500)
    await add_property(session, tenant_id, code="INV", transaction="sale", price=400_000)

    rent = await search(session, embedder, tenant_id, {"intent": "rent"})
    invest = await search(session, embedder, tenant_id, {"intent": "invest"})
    impossible = await search(
        session,
        embedder,
        tenant_id,
        {"intent": "rent", "property_type": "house", "budget_max": 1_000},
    )

    assert codes(rent) == {"RENT"}
    assert codes(invest) == {"SALE", "INV"}
    assert codes(impossible) == set()
    assert impossible.widened == ("budget", "property_type")


async def test_pets_exclude_refusals_and_rank_welcoming_listings_first(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    rent = {"transaction": "rent", "price": 3_000}
    await add_property(session, tenant_id, code="YES", features=["aceita pets"], **rent)
    await add_property(session, tenant_id, code="NO", features=["não aceita pets"], **rent)
    await add_property(session, tenant_id, code="ASK", features=["piscina"], **rent)
    await add_property(
        session, tenant_id, code="YES2", features=["pet place", "aceita pets"], **rent
    )

    found = await search(session, embedder, tenant_id, {"intent": "rent", "pets": True}, k=3)
    without_pets = await search(session, embedder, tenant_id, {"intent": "rent"}, k=10)

    assert [h.code for h in found.hits][2] == "ASK"
    assert {h.code for h in found.hits[:2]} == {"YES", "YES2"}
    assert codes(without_pets) == {"YES", "NO", "ASK", "YES2"}


# --- widening -----------------------------------------------------------------------------


async def test_widening_relaxes_neighborhoods_then_budget_parking_bedrooms_and_reports_them(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(
        session,
        tenant_id,
        code="ONLY",
        transaction="rent",
        price=4_700,
        bedrooms=2,
        parking=0,
        neighborhood="Moema",
    )
    await add_property(
        session,
        tenant_id,
        code="ELSEWHERE",
        transaction="rent",
        price=4_000,
        bedrooms=3,
        parking=1,
        neighborhood="Centro",
        city="Osasco",
    )
    profile = {
        "intent": "rent",
        "property_type": "apartment",
        "city": "São Paulo",
        "neighborhoods": ["Pinheiros"],
        "budget_max": 4_000,
        "bedrooms": 3,
        "parking": 1,
    }

    found = await search(session, embedder, tenant_id, profile)

    assert codes(found) == {"ONLY"}
    # Pinheiros' neighbours and the rest of the west zone are tried before the whole city.
    assert found.widened == ("nearby", "zone", "neighborhoods", "budget", "parking", "bedrooms")


async def test_dropping_neighborhoods_stays_in_their_city_when_no_city_was_given(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(session, tenant_id, code="PIN", neighborhood="Pinheiros", bedrooms=2)
    await add_property(session, tenant_id, code="MOE", neighborhood="Moema", bedrooms=3)
    await add_property(
        session, tenant_id, code="OSA", neighborhood="Centro", city="Osasco", bedrooms=3
    )

    found = await search(
        session, embedder, tenant_id, {"neighborhoods": ["Pinheiros"], "bedrooms": 3}
    )

    assert codes(found) == {"MOE"}
    assert found.widened == ("nearby", "zone", "neighborhoods")


async def test_property_type_is_the_last_thing_relaxed(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(session, tenant_id, code="HOUSE", property_type="house", price=580_000)

    found = await search(
        session,
        embedder,
        tenant_id,
        {"intent": "buy", "property_type": "apartment", "budget_max": 500_000},
    )

    assert codes(found) == {"HOUSE"}
    assert found.widened == ("budget", "property_type")


# --- ranking ------------------------------------------------------------------------------


async def test_semantic_ranking_orders_what_the_filters_let_through(
    session: AsyncSession, embedder: MemoizedEmbedder, demo: uuid.UUID
) -> None:
    found = await search(
        session,
        embedder,
        demo,
        {"intent": "rent", "property_type": "studio"},
        text="quero um studio perto da universidade",
        k=3,
    )

    assert len(found.hits) == 3
    assert all(h.transaction == "rent" and h.property_type == "studio" for h in found.hits)
    assert "perto da universidade" in found.hits[0].features
    assert found.hits[0].score >= found.hits[1].score >= found.hits[2].score > 0


async def test_listings_without_an_embedding_are_still_found_after_the_embedded_ones(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(session, tenant_id, code="EMB", price=700_000)
    await property_search.index_pending_properties(session, embedder, tenant_id=tenant_id)
    await add_property(session, tenant_id, code="FAR", price=400_000)
    await add_property(session, tenant_id, code="NEAR", price=690_000)

    found = await search(
        session,
        embedder,
        tenant_id,
        {"budget_min": 300_000, "budget_max": 700_000},
        text="apartamento em Pinheiros",
    )

    assert [h.code for h in found.hits] == ["EMB", "NEAR", "FAR"]
    assert found.hits[0].score > 0 and found.hits[1].score == 0.0


@pytest.mark.parametrize("exact_max_rows", [None, 0], ids=["exact", "hnsw"])
async def test_search_returns_k_hits_on_both_vector_paths(
    session: AsyncSession, embedder: MemoizedEmbedder, demo: uuid.UUID, exact_max_rows: int | None
) -> None:
    found = await search(
        session,
        embedder,
        demo,
        {},
        text="casa com quintal para cachorro",
        k=5,
        exact_max_rows=exact_max_rows,
    )

    assert len(found.hits) == 5
    assert found.hits[0].property_type in ("house", "condo_house")


# --- tenants, codes, places, indexing -----------------------------------------------------


async def test_a_tenant_never_sees_another_tenants_listings(
    session: AsyncSession, embedder: MemoizedEmbedder, demo: uuid.UUID
) -> None:
    other = await make_tenant(session)
    await add_property(session, other, code="OTHER1", neighborhood="Pinheiros", price=1_000)
    await property_search.index_pending_properties(session, embedder, tenant_id=other)
    count = select(func.count()).where(Property.tenant_id == demo, Property.available)
    available = (await session.execute(count)).scalar_one()

    for exact_max_rows in (None, 0):
        found = await search(
            session,
            embedder,
            demo,
            {},
            text="apartamento em Pinheiros",
            k=100,
            exact_max_rows=exact_max_rows,
        )
        assert "OTHER1" not in codes(found) and len(found.hits) == available
        mine = await search(
            session,
            embedder,
            other,
            {},
            text="Apartamento AP1101",
            k=5,
            exact_max_rows=exact_max_rows,
        )
        assert codes(mine) == {"OTHER1"}
    assert await property_search.lookup_code(session, tenant_id=other, code="AP1101") is None
    neighborhoods, cities = await property_search.known_places(session, other)
    assert (neighborhoods, cities) == (["Pinheiros"], ["São Paulo"])


async def test_lookup_by_code_ignores_case_and_punctuation_and_skips_unavailable(
    session: AsyncSession,
) -> None:
    tenant_id = await make_tenant(session)
    await add_property(session, tenant_id, code="AP1101", price=1_290_000, condo_fee=1_350)
    await add_property(session, tenant_id, code="CA2000", available=False)

    hit = await property_search.lookup_code(session, tenant_id=tenant_id, code="ap-1101")

    assert hit is not None and hit.code == "AP1101"
    assert (hit.price, hit.condo_fee) == (1_290_000, 1_350)
    assert await property_search.lookup_code(session, tenant_id=tenant_id, code="ca2000") is None
    assert await property_search.lookup_code(session, tenant_id=tenant_id, code="XX9") is None


async def test_known_places_lists_neighborhoods_and_cities_once(
    session: AsyncSession, demo: uuid.UUID
) -> None:
    neighborhoods, cities = await property_search.known_places(session, demo)

    assert "Vila Madalena" in neighborhoods and len(neighborhoods) == len(set(neighborhoods))
    assert cities == ["Osasco", "Santo André", "São Bernardo do Campo", "São Paulo"]


async def test_index_pending_embeds_new_edited_and_other_model_listings_only(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    first = await add_property(session, tenant_id, code="A1")
    second = await add_property(session, tenant_id, code="A2")

    assert (
        await property_search.index_pending_properties(session, embedder, tenant_id=tenant_id) == 2
    )
    assert (
        await property_search.index_pending_properties(session, embedder, tenant_id=tenant_id) == 0
    )

    await _age_embeddings(session, tenant_id)
    first.description = "Reformado, com varanda gourmet."
    second.price = Decimal(650_000)  # not part of the embedded text
    await session.flush()
    assert (
        await property_search.index_pending_properties(session, embedder, tenant_id=tenant_id) == 1
    )
    assert (
        await property_search.index_pending_properties(session, embedder, tenant_id=tenant_id) == 0
    )

    await session.execute(
        update(PropertyEmbedding)
        .where(PropertyEmbedding.property_id == second.id)
        .values(model="old/model")
    )
    assert (
        await property_search.index_pending_properties(session, embedder, tenant_id=tenant_id) == 1
    )
    models = select(func.count()).where(
        PropertyEmbedding.tenant_id == tenant_id, PropertyEmbedding.model == embedder.model_name
    )
    assert (await session.execute(models)).scalar_one() == 2


async def _age_embeddings(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Embedded an hour ago: one transaction stands in for the days between edits."""
    await session.execute(
        update(PropertyEmbedding)
        .where(PropertyEmbedding.tenant_id == tenant_id)
        .values(updated_at=func.now() - func.make_interval(0, 0, 0, 0, 1))
    )


async def test_index_property_embeds_one_listing(
    session: AsyncSession, embedder: MemoizedEmbedder
) -> None:
    tenant_id = await make_tenant(session)
    prop = await add_property(session, tenant_id, code="ONE")

    await property_search.index_property(
        session, embedder, tenant_id=tenant_id, property_id=prop.id
    )

    stored = await session.execute(
        select(PropertyEmbedding.model).where(PropertyEmbedding.property_id == prop.id)
    )
    assert stored.scalar_one() == embedder.model_name
