"""Tokens with numeric values: digits in Brazilian notation and Portuguese number words.

"3.500,00" is three thousand five hundred, "1,2" and "1.2" are one point two, "cento e vinte"
is 120. Scale words ("mil", "milhão") stay separate tokens: what they mean depends on context.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from vellarys.domain.text import fold

# Listing codes ("ap1234") come first so their digits never read as a number.
_TOKEN = re.compile(r"r\$|[a-z]+\d[a-z\d]*|\d+(?:[.,]\d+)*|[a-z]+|\S")
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")

_UNITS = {
    "um": 1,
    "uma": 1,
    "dois": 2,
    "duas": 2,
    "tres": 3,
    "quatro": 4,
    "cinco": 5,
    "seis": 6,
    "sete": 7,
    "oito": 8,
    "nove": 9,
}
_TEENS = {
    "dez": 10,
    "onze": 11,
    "doze": 12,
    "treze": 13,
    "quatorze": 14,
    "catorze": 14,
    "quinze": 15,
    "dezesseis": 16,
    "dezasseis": 16,
    "dezessete": 17,
    "dezoito": 18,
    "dezenove": 19,
}
_TENS = {
    "vinte": 20,
    "trinta": 30,
    "quarenta": 40,
    "cinquenta": 50,
    "cincoenta": 50,
    "sessenta": 60,
    "setenta": 70,
    "oitenta": 80,
    "noventa": 90,
}
_HUNDREDS = {
    "cem": 100,
    "cento": 100,
    "duzentos": 200,
    "duzentas": 200,
    "trezentos": 300,
    "trezentas": 300,
    "quatrocentos": 400,
    "quatrocentas": 400,
    "quinhentos": 500,
    "quinhentas": 500,
    "seiscentos": 600,
    "seiscentas": 600,
    "setecentos": 700,
    "setecentas": 700,
    "oitocentos": 800,
    "oitocentas": 800,
    "novecentos": 900,
    "novecentas": 900,
}
# Rank of each number word: "cento e vinte e cinco" joins words of strictly falling rank.
_RANK = {
    **{w: 1 for w in _UNITS},
    **{w: 1 for w in _TEENS},
    **{w: 2 for w in _TENS},
    **{w: 3 for w in _HUNDREDS},
}
_WORD_VALUE = {**_UNITS, **_TEENS, **_TENS, **_HUNDREDS}


@dataclass(frozen=True)
class Token:
    """A folded word, symbol or number; ``value`` is set for numbers."""

    text: str
    value: Decimal | None = None
    grouped: bool = False  # written with thousands separators: "3.500" is surely an amount
    spelled: bool = False  # written in words: "dois"

    @property
    def is_number(self) -> bool:
        return self.value is not None


def parse_digits(raw: str) -> tuple[Decimal, bool]:
    """Value of a digit string in Brazilian or plain notation, and whether it had thousands dots."""
    if "," in raw and "." in raw:
        # The separator that comes last is the decimal one: "3.500,00" or "3,500.00".
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
        thousands_sep = "." if decimal_sep == "," else ","
        return Decimal(raw.replace(thousands_sep, "").replace(decimal_sep, ".")), True
    if _GROUPED.fullmatch(raw):
        return Decimal(raw.replace(".", "")), True
    if raw.count(",") > 1:
        return Decimal(raw.replace(",", "")), True
    return Decimal(raw.replace(",", ".", 1)) if raw.count(".") <= 1 else Decimal(0), False


def tokenize(text: str) -> list[Token]:
    """Fold ``text`` and split it into tokens, reading digits and number words as numbers."""
    tokens: list[Token] = []
    raw_tokens = _TOKEN.findall(fold(text))
    i = 0
    while i < len(raw_tokens):
        raw = raw_tokens[i]
        if raw[0].isdigit():
            value, grouped = parse_digits(raw)
            tokens.append(Token(raw, value, grouped=grouped))
            i += 1
        elif raw in _WORD_VALUE:
            spelled, i = _spelled_number(raw_tokens, i)
            tokens.append(Token(raw, Decimal(spelled), spelled=True))
        else:
            tokens.append(Token(raw))
            i += 1
    return tokens


def _spelled_number(raw_tokens: list[str], i: int) -> tuple[int, int]:
    """Read "duzentos e cinquenta" from position ``i``; return its value and the next position."""
    value = _WORD_VALUE[raw_tokens[i]]
    rank = _RANK[raw_tokens[i]]
    i += 1
    while i + 1 < len(raw_tokens) and raw_tokens[i] == "e":
        following = raw_tokens[i + 1]
        if following not in _RANK or _RANK[following] >= rank:
            break
        value += _WORD_VALUE[following]
        rank = _RANK[following]
        i += 2
    return value, i
