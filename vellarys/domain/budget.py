"""Budgets in Brazilian money phrases: "700 mil", "1,2 milhão", "R$ 3.500,00", "de 2 a 3 mil".

A number is read as money only when something says so: a scale word ("mil", "k", "mi"), a
currency mark ("R$", "reais"), thousands dots ("3.500"), or a budget cue ("até 3500"). So "2
quartos", a phone number or a listing code like "AP1234" never become a budget.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from vellarys.domain.numerals import Token, tokenize
from vellarys.domain.text import word_set

_SCALES = {
    "mil": 1000,
    "k": 1000,
    "mi": 10**6,
    "milhao": 10**6,
    "milhoes": 10**6,
    "milhos": 10**6,
    "milhoe": 10**6,
    "kk": 10**6,
    "mio": 10**6,
}
_CURRENCY_AFTER = frozenset({"reais", "real", "conto", "contos", "pila", "pilas"})
_RANGE_LINKS = frozenset({"a", "ate", "-", "~"})
_MIN_CUES = frozenset({"acima", "partir", "minimo", "superior", "partindo", "desde"})
_CUES = _MIN_CUES | word_set(
    "ate maximo orcamento valor pagar pago pagaria gastar uns umas cerca volta torno entre"
    " aproximadamente aprox budget limite teto mais menos aluguel custa custe r$"
)
# Cues that make "até 650" a budget in thousands; "aluguel do ap 302" is not one.
_STRONG_CUES = word_set(
    "ate maximo orcamento uns umas cerca torno volta limite teto acima partir minimo menos"
    " aproximadamente aprox budget"
)
_CLAUSE_ENDS = frozenset({"e", "mas", "porem", ",", ".", ";", "!", "?"})
# Amounts next to these words are not the price of the property ("100 mil de entrada").
_NOT_BUDGET = word_set(
    "entrada fgts renda salario ganho ganhamos ganha condominio iptu parcela parcelas prestacao"
    " sinal cpf cnpj cep rg telefone tel celular cel whatsapp zap numero codigo cod ref rua"
    " itbi escritura cartorio registro"
)
# A number followed by these counts something else ("2 quartos", "3 meses", "200 m2").
_COUNTED = word_set(
    "quartos quarto qts qt qto dorms dorm dormitorios suites suite vagas vaga garagem meses mes"
    " anos ano dias semanas m m2 metros km andar andares banheiros banheiro minutos min filhos"
    " pessoas horas h x %"
)
# "3 mil com condomínio", "2.500 mais condomínio": words that tie the fees to the rent amount.
_FEES_LINKS = word_set("com mais + fora sem incluindo incluso ja e")
_FEES = word_set("condominio cond condo iptu taxas")
_YEARS = range(2020, 2041)  # "até 2026" is a date, not R$ 2.026
_MIN_BUDGET = 100
_MAX_BUDGET = 10**9


@dataclass(frozen=True)
class Budget:
    """A budget found in a message; either bound may be unknown."""

    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class _Amount:
    value: Decimal
    end: int  # index of the token after the amount
    explicit: bool  # a scale, a currency mark or thousands dots say it is money


def parse_budget(text: str, *, assume_money: bool = False) -> Budget | None:
    """Read the budget in ``text``; ``None`` when it states none.

    A single amount is a maximum unless a cue says minimum ("acima de 1 milhão"); a later
    amount overrides an earlier one of the same kind. With ``assume_money`` (the assistant just
    asked for the budget) bare numbers count too, scaled the way people answer: "uns 600" is
    600 mil, "1,2" is 1,2 milhão, "3500" is R$ 3.500.
    """
    tokens = tokenize(text)
    minimum: int | None = None
    maximum: int | None = None
    i = 0
    while i < len(tokens):
        found = _range_at(tokens, i, assume_money) or _single_at(tokens, i, assume_money)
        if found is None:
            i += 1
            continue
        low, high, i = found
        minimum = low if low is not None else minimum
        maximum = high if high is not None else maximum
    if minimum is None and maximum is None:
        return None
    return Budget(minimum, maximum)


@dataclass(frozen=True)
class Money:
    """An amount of money in a token list: its value and the tokens it spans."""

    value: int
    start: int
    end: int
    explicit: bool


def money_amounts(tokens: list[Token]) -> list[Money]:
    """Every number in ``tokens`` that may be money, with whether something says it is."""
    found: list[Money] = []
    i = 0
    while i < len(tokens):
        amount = _amount_at(tokens, i)
        following = tokens[amount.end].text if amount and amount.end < len(tokens) else ""
        if amount is None or following in _COUNTED or amount.value <= 0:
            i += 1
            continue
        found.append(Money(_to_int(amount.value), i, amount.end, amount.explicit))
        i = amount.end
    return found


def format_brl(value: int | float | Decimal) -> str:
    """Format an amount the Brazilian way: "R$ 1.250.000", or "R$ 1.250,50" when it has cents."""
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, fraction = divmod(abs(cents), 1)
    text = f"{int(whole):,}".replace(",", ".")
    if fraction:
        text += f",{int(fraction * 100):02d}"
    return f"{'-' if cents < 0 else ''}R$ {text}"


_Found = tuple[int | None, int | None, int]


def _range_at(tokens: list[Token], i: int, assume: bool) -> _Found | None:
    """ "entre 500 e 600 mil", "de 2 a 3 mil", "700k-800k": both bounds, the scale shared."""
    start = i + 1 if tokens[i].text == "entre" else i
    links = {"e"} if start > i else _RANGE_LINKS
    first = _amount_at(tokens, start)
    if first is None or first.end + 1 >= len(tokens) or tokens[first.end].text not in links:
        return None
    second = _amount_at(tokens, first.end + 1)
    if second is None or not _accepted(tokens, start, second, assume or first.explicit):
        return None
    high = second.value if second.explicit else _scaled(second.value)
    if high is None or _near_other_money(tokens, start, first.end):
        return None
    low = first.value if first.explicit else _shared_scale(first.value, high)
    if not _MIN_BUDGET <= low <= high <= _MAX_BUDGET:
        return None
    return _to_int(low), _to_int(high), second.end


def _single_at(tokens: list[Token], i: int, assume: bool) -> _Found | None:
    amount = _amount_at(tokens, i)
    if amount is None or not _accepted(tokens, i, amount, assume):
        return None
    value = amount.value if amount.explicit else _scaled(amount.value)
    if value is None or not _MIN_BUDGET <= value <= _MAX_BUDGET:
        return None
    if _is_minimum(tokens, i):
        return _to_int(value), None, amount.end
    return None, _to_int(value), amount.end


def _amount_at(tokens: list[Token], i: int) -> _Amount | None:
    """The amount starting at ``i``: "R$ 3.500", "700 mil", "1 milhão e meio", "3500 reais"."""
    currency = tokens[i].text == "r$"
    j = i + 1 if currency else i
    if j + 1 < len(tokens) and tokens[j].text == "meio" and _scale(tokens[j + 1]) == 10**6:
        return _Amount(Decimal(500_000), j + 2, True)  # "meio milhão"
    if j >= len(tokens) or tokens[j].value is None:
        return None
    number = tokens[j]
    value, j, scale = number.value or Decimal(0), j + 1, 1
    if j < len(tokens) and _scale(tokens[j]) > 1:
        scale = _scale(tokens[j])
        value, j = _compound(tokens, j + 1, value * scale, scale)
    if j < len(tokens) and tokens[j].text in _CURRENCY_AFTER:
        currency, j = True, j + 1
    return _Amount(value, j, currency or scale > 1 or number.grouped)


def _compound(tokens: list[Token], j: int, value: Decimal, scale: int) -> tuple[Decimal, int]:
    """Add a trailing part: "1 milhão e meio", "um milhão e duzentos", "três mil e quinhentos"."""
    if j + 1 >= len(tokens) or tokens[j].text != "e":
        return value, j
    part = tokens[j + 1]
    if part.text == "meio":
        return value + scale // 2, j + 2
    if part.value is None or part.value >= 1000:
        return value, j
    after = tokens[j + 2] if j + 2 < len(tokens) else None
    if after is not None and after.text in _COUNTED:
        return value, j  # "700 mil e 2 quartos"
    sub_scale = _scale(after) if after is not None else 1
    if 1 < sub_scale < scale:
        return value + part.value * sub_scale, j + 3
    # After "milhão" a bare part means thousands: "um milhão e duzentos".
    return value + part.value * (1000 if scale == 10**6 else 1), j + 2


def _accepted(tokens: list[Token], start: int, amount: _Amount, assume: bool) -> bool:
    """Whether the amount at ``start`` is a property budget rather than some other number."""
    following = [t.text if t.value is None else "#" for t in tokens[amount.end : amount.end + 2]]
    if (following and following[0] in _COUNTED) or following == ["-", "#"]:
        return False  # "2 quartos", or a document number like "123.456.789-00"
    if _near_other_money(tokens, start, amount.end):
        return False
    if amount.explicit:
        return True
    if amount.value in _YEARS and amount.value == amount.value.to_integral_value():
        return False
    if assume:
        return True
    before = {t.text for t in tokens[max(0, start - 3) : start]}
    if amount.value >= 1000:
        return bool(before & _CUES)
    return bool(before & _STRONG_CUES) and _is_hundreds(amount.value)


def _near_other_money(tokens: list[Token], start: int, end: int) -> bool:
    """ "condomínio até 800", "100 mil de entrada": an amount that is not the price.

    "3 mil com condomínio" and "2.500 + condomínio" are the rent itself, fees in or out.
    """
    after = [t.text for t in tokens[end : end + 3]]
    fees_said = bool(after) and after[0] in _FEES_LINKS and bool(set(after[1:]) & _FEES)
    nearby = tokens[max(0, start - 3) : start] + ([] if fees_said else tokens[end : end + 2])
    for token in reversed(tokens[max(0, start - 6) : start]):
        article = token.text in ("um", "uma")  # "o ITBI de um de 895 mil"
        if (token.value is not None and not article) or token.text in _CLAUSE_ENDS:
            break  # what came before belongs to another amount or another clause
        nearby.append(token)
    return any(t.text in _NOT_BUDGET for t in nearby)


def _is_minimum(tokens: list[Token], start: int) -> bool:
    """Whether the cue closest before ``start`` makes the amount a floor ("acima de")."""
    window = [t.text for t in tokens[max(0, start - 3) : start]]
    for k in range(len(window) - 1, -1, -1):
        word, previous = window[k], window[k - 1] if k else ""
        if word == "menos":
            return previous == "pelo"  # "pelo menos", not "mais ou menos"
        if word == "mais":
            following = window[k + 1] if k + 1 < len(window) else ""
            return following == "de" and previous != "nao"  # "não mais de" is a ceiling
        if word in _CUES:
            return word in _MIN_CUES
    return False


def _scale(token: Token | None) -> int:
    return _SCALES.get(token.text, 1) if token is not None else 1


def _scaled(value: Decimal) -> Decimal | None:
    """A bare number given as a budget: 600 means 600 mil, 1,2 means 1,2 milhão."""
    if value >= 1000:
        return value
    if value >= 10:
        return value * 1000
    if value != value.to_integral_value():
        return value * 10**6
    return None  # "uns 2": two thousand or two million? Better to ask again.


def _is_hundreds(value: Decimal) -> bool:
    # "até 650" after a budget cue is 650 mil; "até 6,5" could be mil or milhão, so not read.
    return 100 <= value < 1000 and value == value.to_integral_value()


def _shared_scale(low: Decimal, high: Decimal) -> Decimal:
    """Give the lower bound the upper bound's scale: "entre 500 e 600 mil" means 500 mil."""
    if low >= 1000:
        return low
    for multiplier in (10**6, 1000):
        if low * multiplier <= high:
            return low * multiplier
    return low


def _to_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))
