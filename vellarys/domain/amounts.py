"""Amounts a lead states that are not the property's price: down payment, FGTS, income, instalment.

Only the property budget (``budget.parse_budget``) sets ``budget_min``/``budget_max``; every
other amount is typed by the words around it and kept in its own slot. For a rent, whether the
amount includes the condominium fee is kept as ``rent_includes_fees``.
"""

import re
from typing import Any

from vellarys.domain.budget import Money, money_amounts
from vellarys.domain.numerals import Token, tokenize
from vellarys.domain.text import fold, word_set

# Checked in this order; the first kind with a cue near the amount wins.
_CUES = (
    ("fgts_balance", word_set("fgts garantia")),
    ("down_payment", word_set("entrada sinal")),
    ("monthly_income", word_set("renda ganho ganhamos ganha salario recebo recebemos ganhando")),
    ("monthly_instalment", word_set("parcela parcelas prestacao prestacoes mensalidade")),
    # "uma proposta de 850 mil": what the lead offers for a listing, never their budget.
    ("offer_amount", word_set("proposta oferta ofereco oferecer ofertar contraproposta")),
)
# Cues of more than one word, read as their one-word synonym before the amounts are typed.
_PHRASE_CUES = re.compile(r"\bfundo de garantia(?: por tempo de servico)?\b")
_CLAUSE_ENDS = frozenset({",", ".", ";", "!", "?", "mas", "porem"})
_FEE_WORD = r"(?:condominio|cond|condo)"
_INCLUDES_FEES = re.compile(
    r"\b(?:com|incluindo|ja com|incluso|inclusos?|inclui)\s+(?:o\s+)?(?:" + _FEE_WORD + r"|taxas)\b"
    r"|\b(?:condominio|taxas)\s+(?:incluso|incluido|junto)\b"
    r"|\btudo incluso\b|\bvalor total\b|\bno total\b"
)
_EXCLUDES_FEES = re.compile(
    r"(?:\bmais|\+|\bfora(?: o)?|\bsem contar(?: o)?|\bsem o|\bsem|\balem do)\s*"
    + _FEE_WORD
    + r"\b"
    r"|\bcondominio (?:a parte|separado)\b"
)


def typed_amounts(text: str) -> dict[str, Any]:
    """Down payment, FGTS balance, monthly income, instalment and offer stated in ``text``."""
    tokens = tokenize(_PHRASE_CUES.sub("fgts", fold(text)))
    found: dict[str, Any] = {}
    for money in money_amounts(tokens):
        kind = _kind(tokens, money)
        if kind is not None and (money.explicit or money.value >= 10):
            found[kind] = _in_reais(money)
    return found


def rent_includes_fees(text: str) -> bool | None:
    """True for "3 mil com condomínio", False for "2.500 + condomínio", None when not said."""
    folded = fold(text)
    if _EXCLUDES_FEES.search(folded):
        return False
    return True if _INCLUDES_FEES.search(folded) else None


def _kind(tokens: list[Token], money: Money) -> str | None:
    """The kind whose cue word is nearest the amount ("100 mil de entrada e ganho 12 mil")."""
    best: tuple[float, str] | None = None
    for distance, word in _nearby_words(tokens, money):
        for kind, cues in _CUES:
            if word in cues and (best is None or distance < best[0]):
                best = (distance, kind)
    return best[1] if best else None


def _nearby_words(tokens: list[Token], money: Money) -> list[tuple[float, str]]:
    """Words up to five before the amount and three after it, not crossing a clause end.

    A word after the amount is a half step nearer: "120 mil de entrada e 40 mil de FGTS".
    """
    found: list[tuple[float, str]] = []
    before = tokens[max(0, money.start - 5) : money.start]
    for distance, token in enumerate(reversed(before), 1):
        if token.text in _CLAUSE_ENDS or token.value is not None:
            break
        found.append((distance, token.text))
    for distance, token in enumerate(tokens[money.end : money.end + 3], 1):
        if token.text in _CLAUSE_ENDS or token.value is not None:
            break
        found.append((distance - 0.5, token.text))
    return found


def _in_reais(money: Money) -> int:
    # "ganho 12" or "entrada de 80" said bare are thousands, as people say them.
    return money.value * 1000 if not money.explicit and money.value < 1000 else money.value
