"""Cost calculators shared by both brains: computed for this lead, never a document's example."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vellarys.domain import costs
from vellarys.domain.cost_answer import answer_costs, asked_costs


def test_fgts_counts_as_the_down_payment_400k_flat_with_80k_fgts_is_about_2922_a_month() -> None:
    loan = costs.loan(400_000, fgts=80_000)
    assert loan.price_table.financed == Decimal("320000.00")
    assert loan.down_payment == 0
    assert Decimal("2922") <= loan.price_table.first_installment < Decimal("2923")
    assert loan.sac.first_installment > loan.price_table.first_installment
    assert not loan.below_min_down


def test_without_fgts_or_down_payment_twenty_percent_is_assumed() -> None:
    loan = costs.loan(650_000)
    assert loan.down_payment == Decimal("130000.00")
    assert loan.sac.financed == Decimal("520000.00")


def test_a_small_entry_is_flagged_below_the_banks_minimum() -> None:
    assert costs.loan(500_000, fgts=30_000).below_min_down


def test_itbi_uses_the_city_rate_and_the_agencys_own_rates() -> None:
    assert costs.itbi(895_000, "São Paulo").amount == Decimal("26850")
    unknown = costs.itbi(500_000, "Osasco")
    assert not unknown.known_rate and unknown.rate == Decimal("0.03")
    own = costs.itbi(500_000, "Osasco", rates={"osasco": "0.02"})
    assert own.known_rate and own.amount == Decimal("10000")


def test_closing_costs_have_a_deed_only_for_cash_and_an_appraisal_only_when_financed() -> None:
    cash = costs.purchase_costs(600_000, city="São Paulo", financed=False)
    financed = costs.purchase_costs(600_000, city="São Paulo", financed=True)
    assert cash.deed is not None and cash.appraisal is None
    assert financed.deed is None and financed.appraisal is not None
    low, high = cash.total
    assert cash.itbi.amount == Decimal("18000")
    assert Decimal("18000") < low < high


def test_affordability_caps_the_first_sac_instalment_at_30_percent_of_income() -> None:
    found = costs.affordability(12_000)
    assert found.max_instalment == Decimal("3600")
    # Banks cap the first SAC instalment (the highest), not a PRICE one: about R$ 313 mil, not 394.
    loan = costs.loan(found.max_loan + 1, down_payment=1)
    assert abs(loan.sac.first_installment - found.max_instalment) < 1
    assert loan.price_table.first_installment < found.max_instalment
    assert Decimal("310000") < found.max_loan < Decimal("316000")
    with_savings = costs.affordability(12_000, savings=50_000)
    assert with_savings.max_price == Decimal("250000")  # 50k carries at most 4 x 50k of loan


def test_impossible_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        costs.purchase_costs(0, city=None, financed=False)
    with pytest.raises(ValueError):
        costs.affordability(0)


def test_cost_questions_are_recognised() -> None:
    assert asked_costs("quanto fica a parcela? e o ITBI?") == ["itbi", "instalment"]
    assert asked_costs("qto custa escritura e registro?") == ["closing"]
    assert asked_costs("ganho 8 mil, consigo financiar quanto?") == ["affordability"]
    assert asked_costs("quanto tempo demora pra aprovar o financiamento?") == []


def test_the_answer_is_computed_on_the_listing_not_on_the_documents_example() -> None:
    answer = answer_costs(
        ["itbi", "instalment"],
        price=400_000,
        source="do AP1107",
        city="São Paulo",
        profile={"fgts_balance": 80_000, "monthly_income": 12_000},
    )
    text = "\n".join(answer.lines)
    assert "R$ 12.000" in text  # 3 % of 400k
    assert "R$ 2.922,74" in text
    assert "R$ 80.000 do FGTS" in text
    # Banks cap the first SAC instalment (R$ 3.683,96), over 30 % of R$ 12.000.
    assert "Passa dos 30% da sua renda" in text
    assert "18.000" not in text


def test_without_a_price_the_answer_asks_for_one() -> None:
    answer = answer_costs(["itbi"], price=None, source="", city=None, profile={})
    assert answer.needs_price and not answer.lines
    # The city's rate on file is still said: "quanto é o ITBI em SP?"
    in_sp = answer_costs(["itbi"], price=None, source="", city="São Paulo", profile={})
    assert in_sp.needs_price and "*3%*" in in_sp.lines[0]


def test_an_entry_under_twenty_percent_says_the_minimum_and_the_gap_plainly() -> None:
    answer = answer_costs(
        ["instalment"],
        price=640_000,
        source="do AP1501",
        city="São Paulo",
        profile={"fgts_balance": 80_000},
    )
    text = "\n".join(answer.lines)
    assert "entrada mínima é *R$ 128.000* (20%)" in text
    assert "Com R$ 80.000 do FGTS como entrada, faltam *R$ 48.000*" in text
    assert "talvez" not in text
    # The loan simulated is the one a bank gives: 80 %, R$ 512.000, not R$ 560.000.
    assert "financiando R$ 512.000" in text and "560.000" not in text
