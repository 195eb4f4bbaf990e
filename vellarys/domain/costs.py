"""What buying costs this lead: transfer tax, registry, the loan's instalment, what they can afford.

These are the calculators the offline brain and the LLM brain's tools share, so both quote the
same figure for the same lead and listing. Every amount is computed from the lead's own numbers
(price of the listing, FGTS balance, down payment, income); a knowledge document's worked
example is never presented as theirs.

The FGTS balance counts as down payment: a R$ 400.000 flat with R$ 80.000 of FGTS finances
R$ 320.000, and no further 20 % is assumed on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from vellarys.domain.financing import MAX_YEARS, Simulation, System, simulate
from vellarys.domain.text import fold

ANNUAL_RATE = Decimal("0.11")  # the middle of the 10-12 % a.a. the big banks charge today
YEARS = 30
MIN_DOWN_SHARE = Decimal("0.20")  # banks finance up to 80 % of the price
INCOME_SHARE = Decimal("0.30")  # the instalment may take up to 30 % of the gross income
DEFAULT_ITBI = Decimal("0.03")
# Transfer tax (ITBI) by city, as each city hall sets it. Only rates the project can vouch for
# are here; an agency adds its cities' rates in its settings (``itbi_rates``: {"Osasco": 0.02}).
ITBI_RATES: dict[str, Decimal] = {"sao paulo": Decimal("0.03")}
# Notary deed and registry follow the state's official table; these are its usual share.
DEED_SHARE = (Decimal("0.003"), Decimal("0.01"))
REGISTRY_SHARE = (Decimal("0.003"), Decimal("0.008"))
CERTIFICATES = (Decimal(500), Decimal(1500))
BANK_APPRAISAL = (Decimal(3000), Decimal(4000))
_UNIT = Decimal(1)


@dataclass(frozen=True, slots=True)
class Itbi:
    city: str
    rate: Decimal
    amount: Decimal
    known_rate: bool  # False: the city's rate is not on file, the general 3 % was assumed


@dataclass(frozen=True, slots=True)
class PurchaseCosts:
    """Closing costs besides the price, as (low, high) ranges where the law gives a table."""

    price: Decimal
    itbi: Itbi
    deed: tuple[Decimal, Decimal] | None  # None when financed: the bank's contract is the deed
    registry: tuple[Decimal, Decimal]
    certificates: tuple[Decimal, Decimal]
    appraisal: tuple[Decimal, Decimal] | None  # the bank's appraisal fee, when financed

    @property
    def total(self) -> tuple[Decimal, Decimal]:
        parts = [self.registry, self.certificates, self.deed, self.appraisal]
        low = self.itbi.amount + sum((p[0] for p in parts if p), Decimal(0))
        high = self.itbi.amount + sum((p[1] for p in parts if p), Decimal(0))
        return low, high


@dataclass(frozen=True, slots=True)
class Loan:
    """A financing simulation for this lead: what they put in, and both systems' instalments."""

    price: Decimal
    fgts: Decimal
    down_payment: Decimal  # own money besides the FGTS
    sac: Simulation
    price_table: Simulation
    below_min_down: bool  # the FGTS plus down payment is under the 20 % banks ask

    @property
    def entry(self) -> Decimal:
        return self.fgts + self.down_payment


@dataclass(frozen=True, slots=True)
class Affordability:
    income: Decimal
    max_instalment: Decimal
    max_loan: Decimal  # the loan whose first SAC instalment is that instalment
    max_price: Decimal  # loan plus the money the lead has, capped by the 80 % rule


def itbi(price: int | Decimal, city: str | None, *, rates: Mapping[str, Any] | None = None) -> Itbi:
    """The transfer tax on ``price`` at ``city``'s rate (3 % when the city's is not on file).

    ``rates`` are the agency's own (city name -> fraction), consulted before ``ITBI_RATES``.
    """
    name = city or "São Paulo"
    table = {**ITBI_RATES, **{fold(k): _fraction(v) for k, v in (rates or {}).items()}}
    rate = table.get(fold(name))
    used = rate if rate is not None else DEFAULT_ITBI
    return Itbi(name, used, _round(Decimal(price) * used), rate is not None)


def purchase_costs(
    price: int | Decimal,
    *,
    city: str | None,
    financed: bool,
    rates: Mapping[str, Any] | None = None,
) -> PurchaseCosts:
    """ITBI, deed (cash purchases), registry, certificates and the bank's appraisal (financed)."""
    value = Decimal(price)
    if value <= 0:
        raise ValueError("price must be greater than zero")
    return PurchaseCosts(
        price=value,
        itbi=itbi(value, city, rates=rates),
        deed=None if financed else _share(value, DEED_SHARE),
        registry=_share(value, REGISTRY_SHARE),
        certificates=CERTIFICATES,
        appraisal=BANK_APPRAISAL if financed else None,
    )


def loan(
    price: int | Decimal,
    *,
    fgts: int | Decimal = 0,
    down_payment: int | Decimal | None = None,
    years: int = YEARS,
    annual_rate: Decimal = ANNUAL_RATE,
) -> Loan:
    """Both systems for ``price``: the FGTS is down payment; with neither given, 20 % is assumed.

    Raises ValueError when there is nothing to finance or the term is impossible.
    """
    value, fgts_d = Decimal(price), Decimal(fgts)
    if down_payment is None:
        down_d = max(Decimal(0), value * MIN_DOWN_SHARE - fgts_d) if not fgts_d else Decimal(0)
    else:
        down_d = Decimal(down_payment)
    years = min(max(years, 1), MAX_YEARS)
    runs = {
        system: simulate(
            value,
            down_payment=down_d,
            fgts=fgts_d,
            annual_rate=annual_rate,
            years=years,
            system=system,
        )
        for system in ("sac", "price")
    }
    return Loan(
        price=value,
        fgts=fgts_d,
        down_payment=down_d,
        sac=runs["sac"],
        price_table=runs["price"],
        below_min_down=fgts_d + down_d < value * MIN_DOWN_SHARE,
    )


def affordability(
    income: int | Decimal,
    *,
    savings: int | Decimal = 0,
    years: int = YEARS,
    annual_rate: Decimal = ANNUAL_RATE,
) -> Affordability:
    """The largest instalment (30 % of the gross monthly income) and the price it reaches.

    Banks apply the 30 % cap to the FIRST instalment of a SAC loan (the highest one: the
    principal share P / n plus a month's interest on the whole loan), so the loan is
    P = instalment / (1 / n + i). A PRICE loan at the same instalment would reach about a
    quarter more, a figure no bank approves on that income.
    """
    income_d = Decimal(income)
    if income_d <= 0:
        raise ValueError("income must be greater than zero")
    instalment = _round(income_d * INCOME_SHARE)
    monthly = (1 + annual_rate) ** (Decimal(1) / 12) - 1
    months = min(max(years, 1), MAX_YEARS) * 12
    max_loan = _round(instalment / (Decimal(1) / months + monthly))
    own = Decimal(savings)
    if own > 0:
        # The loan is at most 80 % of the price: own money S carries at most 4 x S of loan.
        max_price = _round(min(max_loan + own, own / MIN_DOWN_SHARE))
    else:
        max_price = _round(max_loan / (1 - MIN_DOWN_SHARE))  # assuming the 20 % is there
    return Affordability(income_d, instalment, max_loan, max_price)


def fits_income(instalment: Decimal, income: int | Decimal) -> bool:
    return instalment <= Decimal(income) * INCOME_SHARE


def _fraction(value: Any) -> Decimal | None:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        return None
    return rate if 0 <= rate < Decimal("0.2") else None


def _share(value: Decimal, shares: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
    return _round(value * shares[0]), _round(value * shares[1])


def _round(value: Decimal) -> Decimal:
    return value.quantize(_UNIT, rounding=ROUND_HALF_UP)


def system_label(system: System) -> str:
    return "SAC" if system == "sac" else "PRICE"
