"""Mortgage simulations in the two Brazilian systems: SAC and tabela Price.

SAC repays the same principal every month, so installments fall; Price keeps the installment
constant. Banks quote the effective annual rate, so the monthly rate is (1 + a)^(1/12) - 1.
Money is Decimal throughout and every reported amount is rounded to cents.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

System = Literal["sac", "price"]
Number = int | float | Decimal

MAX_YEARS = 35  # the longest term Brazilian banks offer for housing loans
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Simulation:
    """The outcome of a simulation; amounts in BRL, rounded to cents."""

    system: System
    financed: Decimal
    months: int
    monthly_rate: Decimal  # as a fraction: 0.0094888 is 0.94888 % a month
    first_installment: Decimal
    last_installment: Decimal
    total_paid: Decimal
    total_interest: Decimal


def simulate(
    price: Number,
    *,
    down_payment: Number,
    fgts: Number = 0,
    annual_rate: Number,
    years: int,
    system: System,
) -> Simulation:
    """Simulate financing ``price`` minus the down payment and FGTS over ``years``.

    ``annual_rate`` is the effective annual rate as a fraction (0.12 for 12 % a.a.).
    Raises ValueError for impossible inputs, with a message fit to show an agency admin.
    """
    price_d, down_d, fgts_d, rate_d = map(_decimal, (price, down_payment, fgts, annual_rate))
    _validate(price_d, down_d, fgts_d, rate_d, years, system)
    financed = price_d - down_d - fgts_d
    months = years * 12
    with localcontext() as context:
        context.prec = 34  # 360 compounding steps must not lose cents
        monthly = (1 + rate_d) ** (Decimal(1) / 12) - 1
        if system == "price":
            first, last, total = _price(financed, monthly, months)
        else:
            first, last, total = _sac(financed, monthly, months)
    return Simulation(
        system=system,
        financed=_cents(financed),
        months=months,
        monthly_rate=monthly.quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP),
        first_installment=first,
        last_installment=last,
        total_paid=total,
        total_interest=total - _cents(financed),
    )


def _price(financed: Decimal, monthly: Decimal, months: int) -> tuple[Decimal, Decimal, Decimal]:
    """Constant installment: P * i / (1 - (1 + i)^-n), or P / n without interest."""
    if monthly == 0:
        installment = financed / months
    else:
        installment = financed * monthly / (1 - (1 + monthly) ** -months)
    rounded = _cents(installment)
    return rounded, rounded, rounded * months


def _sac(financed: Decimal, monthly: Decimal, months: int) -> tuple[Decimal, Decimal, Decimal]:
    """Constant amortization A = P / n; interest falls on the balance, which falls by A a month."""
    amortization = financed / months
    first = amortization + financed * monthly
    last = amortization * (1 + monthly)
    # Interest is i * A * (n + (n - 1) + ... + 1) = i * P * (n + 1) / 2.
    total_interest = monthly * financed * (months + 1) / 2
    return _cents(first), _cents(last), _cents(financed + total_interest)


def _validate(
    price: Decimal, down: Decimal, fgts: Decimal, rate: Decimal, years: int, system: str
) -> None:
    if price <= 0:
        raise ValueError("price must be greater than zero")
    if down < 0 or fgts < 0:
        raise ValueError("down payment and FGTS cannot be negative")
    if down + fgts >= price:
        raise ValueError("down payment plus FGTS must be less than the price: nothing to finance")
    if rate < 0:
        raise ValueError("annual rate cannot be negative")
    if rate >= 1:
        raise ValueError("annual rate is a fraction: pass 0.12 for 12 % a year")
    if not 1 <= years <= MAX_YEARS:
        raise ValueError(f"term must be between 1 and {MAX_YEARS} years")
    if system not in ("sac", "price"):
        raise ValueError("system must be 'sac' or 'price'")


def _decimal(value: Number) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    # str() keeps 0.1 as 0.1 instead of the binary float 0.1000000000000000055...
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return number


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)
