from decimal import Decimal

import pytest

from vellarys.domain.financing import simulate

# Worked example, by hand:
#   price 500,000 - down payment 100,000 = 400,000 financed over 30 years = 360 months.
#   Monthly rate from 12 % a.a. effective: i = 1.12^(1/12) - 1 = 0.0094887929 (0.9489 % a month).
#   PRICE: 1.12^30 = 29.9599, so (1 + i)^-360 = 1 / 29.9599 = 0.0333779;
#          PMT = 400,000 * 0.0094887929 / (1 - 0.0333779) = 3,795.517 / 0.9666221 = 3,926.58.
#          (A 1 % nominal monthly rate would give 4,114.45 instead.)
#          Total = 3,926.58 * 360 = 1,413,568.80; interest = 1,013,568.80.
#   SAC:   amortization A = 400,000 / 360 = 1,111.11;
#          first = A + i * 400,000 = 1,111.11 + 3,795.52 = 4,906.63;
#          last = A * (1 + i) = 1,111.11 * 1.0094888 = 1,121.65;
#          interest = i * P * (n + 1) / 2 = 0.0094887929 * 400,000 * 361 / 2 = 685,090.85.


def test_price_keeps_the_installment_constant() -> None:
    result = simulate(500_000, down_payment=100_000, annual_rate=0.12, years=30, system="price")
    assert result.financed == Decimal("400000.00")
    assert result.months == 360
    assert result.monthly_rate == Decimal("0.0094887929")
    assert result.first_installment == result.last_installment == Decimal("3926.58")
    assert result.total_paid == Decimal("1413568.80")
    assert result.total_interest == Decimal("1013568.80")


def test_sac_installments_fall_from_first_to_last() -> None:
    result = simulate(500_000, down_payment=100_000, annual_rate=0.12, years=30, system="sac")
    assert result.first_installment == Decimal("4906.63")
    assert result.last_installment == Decimal("1121.65")
    assert result.total_interest == Decimal("685090.85")
    assert result.total_paid == Decimal("1085090.85")


def test_sac_costs_less_interest_than_price_for_the_same_loan() -> None:
    common = {"down_payment": 100_000, "annual_rate": 0.12, "years": 30}
    sac = simulate(500_000, **common, system="sac")  # type: ignore[arg-type]
    price = simulate(500_000, **common, system="price")  # type: ignore[arg-type]
    assert sac.total_interest < price.total_interest
    assert sac.first_installment > price.first_installment > sac.last_installment


def test_fgts_is_deducted_from_the_financed_amount_like_a_down_payment() -> None:
    # 300,000 - 50,000 - 10,000 = 240,000 over 240 months; A = 1,000.
    # i = 1.10^(1/12) - 1 = 0.0079741404; first = 1,000 + 240,000 * i = 2,913.79;
    # last = 1,000 * (1 + i) = 1,007.97.
    result = simulate(
        300_000, down_payment=50_000, fgts=10_000, annual_rate=0.10, years=20, system="sac"
    )
    assert result.financed == Decimal("240000.00")
    assert (result.first_installment, result.last_installment) == (
        Decimal("2913.79"),
        Decimal("1007.97"),
    )


def test_a_zero_rate_divides_the_loan_evenly() -> None:
    result = simulate(120_000, down_payment=0, annual_rate=0, years=10, system="price")
    assert result.first_installment == Decimal("1000.00")
    assert result.total_interest == Decimal("0.00")


def test_decimal_and_float_inputs_give_the_same_result() -> None:
    as_float = simulate(500_000.0, down_payment=100_000.0, annual_rate=0.12, years=30, system="sac")
    as_decimal = simulate(
        Decimal("500000"),
        down_payment=Decimal("100000"),
        annual_rate=Decimal("0.12"),
        years=30,
        system="sac",
    )
    assert as_float == as_decimal


def test_a_simulation_cannot_be_modified() -> None:
    result = simulate(500_000, down_payment=100_000, annual_rate=0.12, years=30, system="sac")
    with pytest.raises(AttributeError):
        result.months = 12  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"price": 0}, "price must be greater than zero"),
        ({"price": -10}, "price must be greater than zero"),
        ({"down_payment": -1}, "cannot be negative"),
        ({"fgts": -1}, "cannot be negative"),
        ({"down_payment": 500_000}, "nothing to finance"),
        ({"down_payment": 450_000, "fgts": 60_000}, "nothing to finance"),
        ({"annual_rate": -0.01}, "annual rate cannot be negative"),
        ({"annual_rate": 12}, "pass 0.12 for 12 %"),
        ({"years": 0}, "term must be between 1 and 35 years"),
        ({"years": 40}, "term must be between 1 and 35 years"),
        ({"system": "germany"}, "system must be 'sac' or 'price'"),
        ({"annual_rate": float("nan")}, "finite"),
    ],
)
def test_simulate_rejects_impossible_inputs_with_a_clear_message(
    kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "price": 500_000,
        "down_payment": 100_000,
        "fgts": 0,
        "annual_rate": 0.12,
        "years": 30,
        "system": "price",
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        simulate(**arguments)  # type: ignore[arg-type]
