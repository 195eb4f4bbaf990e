"""Amounts a lead states that are not the property budget: FGTS balance, down payment, income.

"tenho 80 mil de FGTS", "ganho 12 mil", "dou 100 mil de entrada" are the lead's own numbers for
the cost calculators; none of them is the price they want to pay, so none sets the budget.
"3 mil com condomínio" marks the rent budget as the monthly total (``rent_includes_fees``).
"""

from __future__ import annotations

import re
from typing import Any

from vellarys.domain.budget import parse_budget
from vellarys.domain.text import fold

_MONEY = r"(?:r\$\s*)?\d[\d.,]*\s*(?:mil|k|mi|milhao|milhoes|reais)?"
# (slot, pattern): the amount is group "v"; a cue word before or after it types it.
_TYPED = (
    (
        "fgts_balance",
        re.compile(
            rf"(?:fgts|fundo de garantia)\D{{0,25}}?(?P<v>{_MONEY})"
            rf"|(?P<w>{_MONEY})\s*(?:de|do|no)\s*(?:fgts|fundo de garantia)"
        ),
    ),
    (
        "down_payment",
        re.compile(
            rf"entrada\D{{0,20}}?(?P<v>{_MONEY})|(?P<w>{_MONEY})\s*(?:de|pra|para a?)\s*entrada"
        ),
    ),
    (
        "monthly_income",
        re.compile(
            rf"(?:ganho|renda\D{{0,15}}?|salario\D{{0,15}}?|recebo)\s*(?:de\s*)?(?P<v>{_MONEY})"
        ),
    ),
)
_WITH_FEES = re.compile(
    r"\b(?:com|incluindo|incluso|ja com|contando)\s+(?:o\s+)?(?:condominio|cond)\b"
    r"|\b(?:tudo|total)\b.{0,20}\b(?:condominio|cond)\b"
)
_WITHOUT_FEES = re.compile(r"\b(?:sem|fora|mais)\s+(?:o\s+)?(?:condominio|cond)\b")


def typed_amounts(text: str) -> dict[str, Any]:
    """The typed amounts in ``text``: {"fgts_balance": 80000, "rent_includes_fees": True}."""
    folded = fold(text)
    found: dict[str, Any] = {}
    for slot, pattern in _TYPED:
        match = pattern.search(folded)
        if match is None:
            continue
        raw = match.group("v") or match.groupdict().get("w") or ""
        budget = parse_budget(raw, assume_money=True)
        value = (budget.maximum or budget.minimum) if budget else None
        if value:
            found[slot] = int(value)
    if _WITH_FEES.search(folded):
        found["rent_includes_fees"] = True
        # "até 3 mil com condomínio": the amount is the monthly total the lead can pay.
        total = parse_budget(_WITH_FEES.sub(" ", folded), assume_money=True)
        if total is not None and total.maximum:
            found["budget_max"] = total.maximum
    elif _WITHOUT_FEES.search(folded):
        found["rent_includes_fees"] = False
    return found


def without_typed(budget: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """The budget slots minus any that are really a typed amount (an FGTS balance, an income)."""
    amounts = {v for k, v in typed.items() if k not in ("rent_includes_fees", "budget_max")}
    return {k: v for k, v in budget.items() if not (k.startswith("budget_") and v in amounts)}
