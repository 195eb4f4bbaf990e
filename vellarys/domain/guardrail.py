"""The last check on an LLM reply: every listing code and money amount must come from a tool.

A model that invents "AP2040 por R$ 590 mil" sends a lead chasing a property that does not
exist. So each code in the reply must be one a tool returned, and each amount must be within
1 % of an amount a tool returned (rounding: "R$ 4,5 mil" for R$ 4.523,17 is fine).

A number is money only when something says so: "R$" before it, "reais" after it, or a scale
word ("mil", "milhão", "k", "mi"). Percentages, "3 quartos", "3 mil m²", phone numbers and
years are not money.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from vellarys.domain import budget
from vellarys.domain.amounts import typed_amounts
from vellarys.domain.budget import format_brl
from vellarys.domain.intent import listing_codes
from vellarys.domain.numerals import Token, tokenize
from vellarys.domain.text import fold, word_set

TOLERANCE = Decimal("0.01")

_SCALES = {
    "mil": 10**3,
    "k": 10**3,
    "mi": 10**6,
    "milhao": 10**6,
    "milhoes": 10**6,
    "mm": 10**6,
    "bi": 10**9,
    "bilhao": 10**9,
    "bilhoes": 10**9,
}
_CURRENCY_AFTER = word_set("reais real")
_RANGE_LINKS = word_set("a e ate ou - – —")
# After a scaled number these count something else: "3 mil m²", "2 mil imóveis".
_COUNTED = word_set(
    "m m2 metros metro km hectares ha alqueires imoveis imovel clientes pessoas familias"
    " unidades habitantes moradores visitas anuncios opcoes leads seguidores negocios"
    " quartos vagas andares anos meses dias vezes"
)
_NOT_CODE = re.compile(r"[^A-Z0-9]")
# "4.800 por mês", "1.200 mensais": a grouped number with a period is money even without "R$".
_PER_PERIOD = ("por mes", "ao mes", "mensais", "mensal", "por ano", "ao ano", "anual")
# The lookbehind starts a number only at its first digit (linear on long digit runs).
_DISCOUNT = re.compile(
    r"(?<![\d.,])\d+(?:[.,]\d+)?\s*%\s*(?:de\s+)?(?:desconto|off)|desconto\s+de\s+\d", re.I
)
_PROMISE = re.compile(
    r"\b(?:garant(?:o|imos|ido|ida)|prometo|prometemos|com certeza (?:sera|vai ser) aprovad)", re.I
)


def check_reply(
    text: str, *, allowed_codes: Collection[str], allowed_amounts: Collection[int | float]
) -> list[str]:
    """What in ``text`` no tool vouched for; an empty list means the reply may go out."""
    known_codes = {_code(c) for c in allowed_codes}
    violations = [
        f"unknown listing code {code}"
        for code in listing_codes(text)
        if _code(code) not in known_codes
    ]
    allowed = [Decimal(str(a)) for a in allowed_amounts]
    for amount in money_amounts(text):
        if not any(_close(amount, a) for a in allowed):
            violations.append(f"unknown amount {format_brl(amount)}")
    folded = " ".join(t.text for t in tokenize(text))
    if _DISCOUNT.search(text) or _DISCOUNT.search(folded):
        violations.append("a discount no tool offered")
    if _PROMISE.search(folded):
        violations.append("a promise (guarantee) no one at the agency made")
    return violations


def money_amounts(text: str) -> list[Decimal]:
    """The money amounts written in ``text``, in order: "R$ 650 mil" -> 650000."""
    tokens = tokenize(text)
    amounts: list[Decimal] = []
    i = 0
    while i < len(tokens):
        found = _money_at(tokens, i)
        if found is None:
            i += 1
            continue
        value, i = found
        amounts.append(value)
    return amounts


def _money_at(tokens: list[Token], i: int) -> tuple[Decimal, int] | None:
    """The amount starting at ``i`` and the index after it, if it is money."""
    marked = _text(tokens, i) == "r$"
    start = i + 1 if marked else i
    number = _number(tokens, start)
    if number is None:
        return None
    value, scaled, end = number
    if _text(tokens, end) == "%" or _text(tokens, end, 2) == "por cento":
        return None
    if _text(tokens, end) in _CURRENCY_AFTER:
        return value, end + 1
    if _text(tokens, end, 2) in ("de reais", "de real"):
        return value, end + 2
    if marked:
        return _shared_scale(tokens, value, start, end), end
    if scaled and _text(tokens, end) not in _COUNTED:
        return value, end
    if tokens[start].grouped and _per_period(tokens, end):
        return value, end
    shared = _shared_scale(tokens, value, start, end)
    return (shared, end) if shared != value else None


def _number(tokens: list[Token], i: int) -> tuple[Decimal, bool, int] | None:
    """A number with its scale and the parts added to it: "1 milhão e 200 mil", "2 mil e 500"."""
    head = _scaled(tokens, i)
    if head is None:
        return None
    value, scale, end = head
    while scale > 1 and _text(tokens, end) == "e":
        tail = _scaled(tokens, end + 1)
        if tail is None or tail[1] >= scale or tail[0] >= scale:
            break
        if tail[1] == 1 and _text(tokens, tail[2]) not in _CURRENCY_AFTER:
            break  # "650 mil e 3 quartos"
        value, scale, end = value + tail[0], tail[1], tail[2]
    return value, scale > 1, end


def _scaled(tokens: list[Token], i: int) -> tuple[Decimal, int, int] | None:
    token = tokens[i] if i < len(tokens) else None
    if token is None:
        return None
    if token.value is not None:
        value = token.value
    elif token.text == "meio" and _text(tokens, i + 1) in _SCALES:
        value = Decimal("0.5")  # "meio milhão"
    elif token.text == "mil" and _text(tokens, i + 1) in _CURRENCY_AFTER:
        return Decimal(1000), 1, i + 1  # "mil reais"
    else:
        return None
    scale = _SCALES.get(_text(tokens, i + 1), 1)
    end = i + 1 if scale == 1 else i + 2
    return value * scale, scale, end


def _shared_scale(tokens: list[Token], value: Decimal, start: int, end: int) -> Decimal:
    """ "R$ 500 a 700 mil", "de 2 a 3 mil": the first bound has the second one's scale."""
    if value >= 1000 or tokens[start].grouped or _text(tokens, end) not in _RANGE_LINKS:
        return value
    following = _scaled(tokens, end + 1)
    if following is None or following[1] == 1 or end != start + 1:
        return value
    if _text(tokens, following[2]) in _COUNTED:
        return value  # "2 e 3 mil m²"
    return value * following[1]


def _per_period(tokens: list[Token], end: int) -> bool:
    return any(_text(tokens, end, len(p.split())) == p for p in _PER_PERIOD) or (
        _text(tokens, end) == "/" and _text(tokens, end + 1) in ("mes", "ano")
    )


def _text(tokens: list[Token], i: int, count: int = 1) -> str:
    return " ".join(t.text for t in tokens[i : i + count])


def _close(amount: Decimal, allowed: Decimal) -> bool:
    return abs(amount - allowed) <= abs(allowed) * TOLERANCE


def _code(code: str) -> str:
    return _NOT_CODE.sub("", code.upper())


# The lead's own amounts, by the profile key the offline understanding stores them under.
_LEAD_ROLES = {"fgts_balance": "FGTS", "down_payment": "entrada", "monthly_income": "renda"}
_BUDGET_KEYS = ("budget_max", "budget_min")
# A clause about what is required ("a entrada mínima é de R$ 80 mil") is not the lead's amount.
_REQUIREMENT = word_set("minima minimo exigida exigido necessaria necessario precisa precisaria")
_CLAUSE = re.compile(r"[.;!?\n]+")
_BUDGET_CUE_REACH = 4


def role_mismatches(text: str, profile: Mapping[str, Any]) -> list[str]:
    """Amounts the reply gives as the lead's FGTS, down payment, income or budget that differ
    from what the lead said in that role ("seu FGTS de R$ 60 mil" when they said 80 mil)."""
    found: list[str] = []
    for clause in _CLAUSE.split(text):
        if not clause.strip() or _REQUIREMENT & set(fold(clause).split()):
            continue
        for key, value in typed_amounts(clause).items():
            said = _number_of(profile.get(key))
            if key in _LEAD_ROLES and said is not None and not _close(Decimal(value), said):
                found.append(_role_violation(_LEAD_ROLES[key], value, said))
        stated = _budget_stated(clause)
        saids = [n for n in (_number_of(profile.get(k)) for k in _BUDGET_KEYS) if n is not None]
        if stated is not None and saids and not any(_close(stated, n) for n in saids):
            found.append(_role_violation("orçamento", stated, saids[0]))
    return found


def _budget_stated(clause: str) -> Decimal | None:
    """The amount right after "orçamento" in a clause, if any."""
    tokens = tokenize(clause)
    cues = [i for i, t in enumerate(tokens) if t.text == "orcamento"]
    if not cues:
        return None
    for money in budget.money_amounts(tokens):
        if any(0 < money.start - cue <= _BUDGET_CUE_REACH for cue in cues):
            return Decimal(money.value)
    return None


def _number_of(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return Decimal(str(value))


def _role_violation(role: str, stated: Any, said: Decimal) -> str:
    return (
        f"amount {format_brl(Decimal(stated))} given as the lead's {role}, "
        f"but the lead said {format_brl(said)}"
    )
