"""Cost questions answered with this lead's numbers: ITBI, closing costs, instalment, affordability.

The figures come from ``costs`` (the calculators the LLM brain's tools use as well), computed on
the price of the listing the lead is talking about, or on their budget, with their FGTS, down
payment and income when they told them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vellarys.domain import costs
from vellarys.domain.budget import format_brl
from vellarys.domain.phrases import short_brl
from vellarys.domain.text import fold

_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("itbi", re.compile(r"\bitbi\b|\bimposto de transmiss")),
    (
        "closing",
        re.compile(
            r"\b(?:escritura|registro|cartorio|custos? (?:de|da|com a) compra|despesas?"
            r" (?:da|de) compra|custos? extras?|gastos? (?:a mais|extras?|com documenta\w*))\b"
        ),
    ),
    (
        "instalment",
        re.compile(
            r"\b(?:parcelas?|prestac\w*|simula\w*|quanto (?:fica|ficaria|da|daria|pago)"
            r" (?:\w+ )?(?:por|no|ao) mes)\b"
        ),
    ),
    (
        "affordability",
        re.compile(
            r"\b(?:minha renda|ganho|renda de|salario|quanto (?:eu )?consigo|consigo financiar"
            r"|preciso ganhar|ate quanto (?:eu )?(?:posso|consigo))\b"
        ),
    ),
)
# Profile keys holding the lead's own amounts (typed by the understanding layer).
FGTS_KEYS = ("fgts_balance", "fgts_amount")
DOWN_KEYS = ("down_payment",)
INCOME_KEYS = ("monthly_income", "income")


@dataclass(frozen=True, slots=True)
class CostAnswer:
    lines: tuple[str, ...]
    needs_price: bool = False  # nothing to price: ask which listing or what value


def asked_costs(text: str) -> list[str]:
    folded = fold(text)
    return [kind for kind, pattern in _ASKS if pattern.search(folded)]


def lead_amount(profile: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = profile.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return int(value)
    return None


def search_ceiling(profile: Mapping[str, Any], text: str) -> int | None:
    """ "ganho 12 mil, consigo financiar até quanto?" with no budget said: the price their
    income reaches is the ceiling of the listings shown with the answer."""
    income = lead_amount(profile, INCOME_KEYS)
    if profile.get("budget_max") or not income or "affordability" not in asked_costs(text):
        return None
    savings = (lead_amount(profile, FGTS_KEYS) or 0) + (lead_amount(profile, DOWN_KEYS) or 0)
    return int(costs.affordability(income, savings=savings).max_price)


def answer_costs(
    kinds: list[str],
    *,
    price: int | None,
    source: str,
    city: str | None,
    profile: Mapping[str, Any],
    rates: Mapping[str, Any] | None = None,
) -> CostAnswer:
    """Sentences for each cost asked, computed on ``price`` (from ``source``: "do AP1107")."""
    income = lead_amount(profile, INCOME_KEYS)
    lines: list[str] = []
    if "affordability" in kinds and income:
        lines.append(affordability_text(income, profile))
    priced = [k for k in kinds if k in ("itbi", "closing", "instalment")]
    if priced and not price:
        if "itbi" in kinds:
            lines += itbi_rate_text(city, rates)
        return CostAnswer(tuple(lines), needs_price=True)
    financed = "financing" in (profile.get("payment") or []) or "instalment" in kinds
    if "itbi" in kinds and price:
        lines.append(itbi_text(price, source, city, rates))
    if "closing" in kinds and price:
        lines.append(closing_text(price, source, city, financed=financed, rates=rates))
    if "instalment" in kinds and price:
        lines.append(loan_text(price, source, profile, income))
    return CostAnswer(tuple(lines))


def itbi_rate_text(city: str | None, rates: Mapping[str, Any] | None) -> list[str]:
    """ "Em São Paulo, o ITBI é de *3%* do valor do imóvel." — only a rate on file."""
    tax = costs.itbi(100, city, rates=rates)
    if city is None or not tax.known_rate:
        return []
    return [
        f"Em {tax.city}, o ITBI é de *{_percent(tax.rate)}* do valor do imóvel, pago pelo "
        "comprador na transferência."
    ]


def itbi_text(price: int, source: str, city: str | None, rates: Mapping[str, Any] | None) -> str:
    tax = costs.itbi(price, city, rates=rates)
    rate = _percent(tax.rate)
    text = f"O ITBI {source} ({format_brl(price)}) fica em cerca de *{format_brl(tax.amount)}*"
    if tax.known_rate:
        return text + f" ({rate} em {tax.city})."
    return text + f" (estimei com {rate}; a alíquota de {tax.city} é definida pela prefeitura)."


def closing_text(
    price: int,
    source: str,
    city: str | None,
    *,
    financed: bool,
    rates: Mapping[str, Any] | None,
) -> str:
    found = costs.purchase_costs(price, city=city, financed=financed, rates=rates)
    lines = [f"Custos da compra {source} ({format_brl(price)}), aproximados:"]
    lines.append(f"• ITBI ({_percent(found.itbi.rate)}): {format_brl(found.itbi.amount)}")
    if found.deed:
        lines.append(f"• Escritura: {_range(found.deed)}")
    if found.appraisal:
        lines.append(f"• Avaliação do banco: {_range(found.appraisal)}")
    lines.append(f"• Registro: {_range(found.registry)}")
    lines.append(f"• Certidões: {_range(found.certificates)}")
    lines.append(f"*Total: {_range(found.total)}*")
    return "\n".join(lines)


def loan_text(price: int, source: str, profile: Mapping[str, Any], income: int | None) -> str:
    fgts = lead_amount(profile, FGTS_KEYS) or 0
    down = lead_amount(profile, DOWN_KEYS)
    try:
        sim = costs.loan(price, fgts=fgts, down_payment=down)
    except ValueError:
        return f"Com a entrada que você tem, dá para pagar {format_brl(price)} sem financiar. 🙂"
    lines = []
    if sim.below_min_down:
        # Banks finance at most 80 %: the gap is said plainly and the loan a bank would give
        # (the minimum entry completed) is the one simulated.
        minimum = Decimal(price) * costs.MIN_DOWN_SHARE
        missing = minimum - sim.entry
        lines.append(
            f"Os bancos financiam no máximo 80% do valor: para {format_brl(price)} a entrada "
            f"mínima é *{format_brl(minimum)}* (20%). C{_entry_words(sim)[1:]}, "
            f"faltam *{format_brl(missing)}* de recursos próprios."
        )
        sim = costs.loan(price, fgts=fgts, down_payment=(down or 0) + missing)
    entry = _entry_words(sim)
    lines += [
        f"Simulação para {format_brl(price)} {source}, {entry}, financiando "
        f"{format_brl(sim.sac.financed)} em {costs.YEARS} anos a 11% ao ano:",
        f"• PRICE: parcelas fixas de cerca de *{format_brl(sim.price_table.first_installment)}*",
        f"• SAC: primeira parcela de {format_brl(sim.sac.first_installment)}, caindo todo mês",
    ]
    if income:
        # Banks hold the first SAC instalment (the highest) to 30 % of the income.
        lines.append(_income_check(sim.sac.first_installment, income))
    return "\n".join(lines)


def affordability_text(income: int, profile: Mapping[str, Any]) -> str:
    savings = (lead_amount(profile, FGTS_KEYS) or 0) + (lead_amount(profile, DOWN_KEYS) or 0)
    found = costs.affordability(income, savings=savings)
    entry = f"Somando os seus {format_brl(savings)}" if savings else "Com 20% de entrada"
    return (
        f"Com renda de {format_brl(income)}, dá para financiar cerca de "
        f"*{_thousands(found.max_loan)}* em {costs.YEARS} anos: os bancos limitam a primeira "
        f"parcela (SAC) a 30% da renda, {format_brl(found.max_instalment)}. {entry}, "
        f"dá para imóveis de até cerca de {_thousands(found.max_price)}."
    )


def _thousands(amount: Decimal) -> str:
    """An estimate the way a broker says it: "R$ 313 mil" (to the nearest thousand)."""
    return short_brl(round(amount / 1000) * 1000 if amount >= 10_000 else int(amount))


def _income_check(instalment: Decimal, income: int) -> str:
    if costs.fits_income(instalment, income):
        return f"Cabe nos 30% da sua renda de {format_brl(income)}. 👍"
    return (
        f"Passa dos 30% da sua renda de {format_brl(income)}; "
        "dá para compor renda com outra pessoa ou aumentar a entrada."
    )


def _entry_words(sim: costs.Loan) -> str:
    if sim.fgts and sim.down_payment:
        return f"com {format_brl(sim.fgts)} de FGTS e {format_brl(sim.down_payment)} de entrada"
    if sim.fgts:
        return f"com {format_brl(sim.fgts)} do FGTS como entrada"
    return f"com {format_brl(sim.down_payment)} de entrada"


def _percent(rate: Decimal) -> str:
    text = f"{rate * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text}%"


def _range(pair: tuple[Decimal, Decimal]) -> str:
    return f"{format_brl(pair[0])} a {format_brl(pair[1])}"
