from dataclasses import replace

from vellarys.domain.cards import KnowledgeHit, PropertyHit, property_card

APARTMENT = PropertyHit(
    code="AP1234",
    title="Apartamento com varanda em Moema",
    property_type="apartment",
    transaction="sale",
    price=650_000,
    condo_fee=780,
    iptu=1_900,
    bedrooms=2,
    suites=1,
    parking=1,
    area_m2=68,
    neighborhood="Moema",
    city="São Paulo",
    features=("varanda", "piscina"),
)


def test_sale_card_has_title_place_price_with_condo_rooms_and_code() -> None:
    assert property_card(APARTMENT) == (
        "*Apartamento com varanda em Moema*\n"
        "📍 Moema, São Paulo\n"
        "💰 R$ 650.000 + cond. R$ 780\n"
        "🛏 2 quartos (1 suíte) · 🚗 1 vaga · 📐 68 m²\n"
        "Código: AP1234"
    )


def test_rent_card_shows_the_monthly_price() -> None:
    rent = replace(APARTMENT, transaction="rent", price=3_500, condo_fee=None)
    card = property_card(rent)
    assert "💰 R$ 3.500/mês\n" in card
    assert "cond." not in card


def test_rent_card_adds_the_condo_fee_after_the_monthly_price() -> None:
    rent = replace(APARTMENT, transaction="rent", price=3_500, condo_fee=650)
    assert "💰 R$ 3.500/mês + cond. R$ 650" in property_card(rent)


def test_plurals_follow_the_counts() -> None:
    house = replace(APARTMENT, property_type="house", bedrooms=1, suites=2, parking=3)
    assert "🛏 1 quarto (2 suítes) · 🚗 3 vagas · 📐 68 m²" in property_card(house)


def test_no_suite_and_no_parking_are_left_out() -> None:
    studio = replace(APARTMENT, property_type="studio", bedrooms=1, suites=0, parking=0)
    card = property_card(studio)
    assert "🛏 1 quarto · 📐 68 m²" in card
    assert "suíte" not in card
    assert "vaga" not in card


def test_land_and_commercial_cards_have_no_bedrooms() -> None:
    for kind in ("land", "commercial"):
        hit = replace(APARTMENT, property_type=kind, bedrooms=2, suites=0, parking=2, area_m2=300)
        card = property_card(hit)
        assert "quarto" not in card
        assert "🚗 2 vagas · 📐 300 m²" in card


def test_unknown_area_is_left_out_and_an_empty_rooms_line_is_dropped() -> None:
    land = replace(APARTMENT, property_type="land", parking=0, area_m2=None, condo_fee=None)
    assert property_card(land).splitlines() == [
        "*Apartamento com varanda em Moema*",
        "📍 Moema, São Paulo",
        "💰 R$ 650.000",
        "Código: AP1234",
    ]


def test_million_prices_use_brazilian_thousands_separators() -> None:
    assert "💰 R$ 1.290.000 + cond. R$ 1.350" in property_card(
        replace(APARTMENT, price=1_290_000, condo_fee=1_350)
    )


def test_hits_default_score_and_document() -> None:
    assert APARTMENT.score == 0.0
    assert KnowledgeHit(title="FGTS", content="...", score=0.9).document == ""
