"""A listing as staff, the REST API, a CSV file or the demo seed give it: typed and checked once.

``listing_from_values`` takes typed values (JSON, the demo data, a row merged with changes);
``listing_from_text`` takes what a form or a CSV cell holds ("R$ 750.000", "apto", "venda").
Both end in ``build``, the one place where a listing's rules live. Messages are Portuguese:
staff read them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from vellarys.domain.glossary import (
    PROPERTY_TYPE_LABELS,
    TRANSACTION_LABELS,
    PropertyType,
    Transaction,
)
from vellarys.domain.text import fold
from vellarys.errors import BadRequest

FIELDS = (
    "code",
    "title",
    "property_type",
    "transaction",
    "price",
    "condo_fee",
    "iptu",
    "bedrooms",
    "suites",
    "bathrooms",
    "parking",
    "area_m2",
    "neighborhood",
    "city",
    "state",
    "address",
    "description",
    "features",
    "photos",
)
REQUIRED = ("code", "title", "property_type", "transaction", "price", "neighborhood", "city")
COUNTS = ("bedrooms", "suites", "bathrooms", "parking")
OPTIONAL_AMOUNTS = ("condo_fee", "iptu", "area_m2")
# Longest text per field (the column's size, or a bound that keeps a listing readable).
MAX_CHARS = {
    "code": 32,
    "title": 300,
    "neighborhood": 120,
    "city": 120,
    "address": 300,
    "description": 20_000,
}
MAX_LIST_ITEMS = 50
MAX_FEATURE_CHARS = 200
MAX_PHOTO_CHARS = 2000
MAX_COUNT = 99
MAX_AMOUNT = Decimal("1e12")
LABELS = {
    "code": "código",
    "title": "título",
    "property_type": "tipo",
    "transaction": "transação",
    "price": "preço",
    "condo_fee": "condomínio",
    "iptu": "IPTU",
    "area_m2": "área",
    "bedrooms": "quartos",
    "suites": "suítes",
    "bathrooms": "banheiros",
    "parking": "vagas",
    "neighborhood": "bairro",
    "city": "cidade",
    "state": "UF",
    "address": "endereço",
    "description": "descrição",
    "features": "características",
    "photos": "fotos",
}
_URL = re.compile(r"https?://\S+")
_TYPE_ALIASES = {
    **{fold(name): key for key, name in PROPERTY_TYPE_LABELS.items()},
    **{key.value: key.value for key in PropertyType},
    "apto": "apartment",
    "ap": "apartment",
    "kitnet": "studio",
    "sala": "commercial",
    "loja": "commercial",
    "lote": "land",
    "casa de condominio": "condo_house",
}
_TRANSACTION_ALIASES = {
    **{fold(name): key for key, name in TRANSACTION_LABELS.items()},
    **{key.value: key.value for key in Transaction},
    "locacao": "rent",
}


class InvalidListing(BadRequest):
    """O imóvel tem dados inválidos."""

    status_code = 422

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ListingInput:
    """Every column of a listing staff can set, already valid."""

    code: str
    title: str
    property_type: PropertyType
    transaction: Transaction
    price: Decimal
    neighborhood: str
    city: str
    condo_fee: Decimal | None = None
    iptu: Decimal | None = None
    area_m2: Decimal | None = None
    bedrooms: int = 0
    suites: int = 0
    bathrooms: int = 0
    parking: int = 0
    state: str = "SP"
    address: str | None = None
    description: str = ""
    features: tuple[str, ...] = ()
    photos: tuple[str, ...] = ()

    def columns(self) -> dict[str, Any]:
        """The values as the ``properties`` row stores them."""
        values = asdict(self)
        values["property_type"] = self.property_type.value
        values["transaction"] = self.transaction.value
        values["features"] = list(self.features)
        values["photos"] = list(self.photos)
        return values


def build(values: Mapping[str, Any]) -> ListingInput:
    """A ``ListingInput`` from typed values, or ``InvalidListing`` naming every problem."""
    errors: list[str] = []
    checked: dict[str, Any] = {}
    for key in FIELDS:
        value = values.get(key)
        if isinstance(value, str):
            value = value.strip()
        if key in REQUIRED and value in (None, ""):
            errors.append(f"Informe {LABELS[key]}.")
            continue
        problem = _check(key, value, checked)
        if problem:
            errors.append(problem)
    if errors:
        raise InvalidListing(errors)
    return ListingInput(**checked)


def _check(key: str, value: Any, checked: dict[str, Any]) -> str | None:
    """Put the checked ``value`` of ``key`` in ``checked``; return what is wrong, if anything."""
    if isinstance(value, str) and "\x00" in value:
        return f"O campo {LABELS[key]} tem um caractere nulo."
    checker: Callable[[str, Any], Any] = _CHECKERS.get(key, _text)
    try:
        checked[key] = checker(key, value)
    except _Wrong as wrong:
        return str(wrong)
    return None


class _Wrong(ValueError):
    pass


def _text(key: str, value: Any) -> str | None:
    if value is None:
        return None if key == "address" else ""
    if not isinstance(value, str):
        raise _Wrong(f"O campo {LABELS[key]} deve ser texto.")
    limit = MAX_CHARS[key]
    if len(value) > limit:
        raise _Wrong(f"O campo {LABELS[key]} tem no máximo {limit} caracteres.")
    return value or (None if key == "address" else "")


def _state(key: str, value: Any) -> str:
    state = "SP" if value in (None, "") else str(value).upper()
    if len(state) != 2 or not state.isascii() or not state.isalpha():
        raise _Wrong("UF deve ter 2 letras (ex.: SP).")
    return state


def _choice(
    aliases: Mapping[str, str], kind: type[PropertyType] | type[Transaction]
) -> Callable[[str, Any], PropertyType | Transaction]:
    def check(key: str, value: Any) -> PropertyType | Transaction:
        chosen = aliases.get(fold(str(value))) if isinstance(value, str) else None
        if chosen is None:
            given, options = str(value)[:40], ", ".join(member.value for member in kind)
            raise _Wrong(f"{LABELS[key].capitalize()} desconhecido(a): {given!r} ({options}).")
        return kind(chosen)

    return check


def _amount(key: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        if key == "price":
            raise _Wrong(f"Informe {LABELS[key]}.")
        return None
    amount = parse_amount(value) if isinstance(value, str) else _decimal(value)
    if amount is None or amount < 0:
        raise _Wrong(f"Valor inválido em {LABELS[key]}: {str(value)[:40]!r}.")
    return amount.quantize(Decimal("0.01"))


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    amount = Decimal(str(value))
    return amount if amount.is_finite() and amount < MAX_AMOUNT else None


def _count(key: str, value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 2:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise _Wrong(f"Número inválido em {LABELS[key]}: {str(value)[:40]!r} (de 0 a {MAX_COUNT}).")
    return value


def _items(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _Wrong(f"O campo {LABELS[key]} deve ser uma lista de textos.")
    items = tuple(v.strip() for v in value if v.strip())
    if len(items) > MAX_LIST_ITEMS:
        raise _Wrong(f"No máximo {MAX_LIST_ITEMS} itens em {LABELS[key]}.")
    if any("\x00" in v for v in items):
        raise _Wrong(f"O campo {LABELS[key]} tem um caractere nulo.")
    limit = MAX_PHOTO_CHARS if key == "photos" else MAX_FEATURE_CHARS
    if any(len(v) > limit for v in items):
        raise _Wrong(f"Cada item de {LABELS[key]} tem no máximo {limit} caracteres.")
    bad = [v for v in items if key == "photos" and not _URL.fullmatch(v)]
    if bad:
        raise _Wrong(f"Foto sem endereço http(s) válido: {bad[0][:80]}")
    return items


_CHECKERS: dict[str, Callable[[str, Any], Any]] = {
    "property_type": _choice(_TYPE_ALIASES, PropertyType),
    "transaction": _choice(_TRANSACTION_ALIASES, Transaction),
    "price": _amount,
    **{key: _amount for key in OPTIONAL_AMOUNTS},
    **{key: _count for key in COUNTS},
    "state": _state,
    "features": _items,
    "photos": _items,
}


def listing_from_values(values: Mapping[str, Any]) -> ListingInput:
    """Typed values (JSON numbers, lists): nothing is re-read from text."""
    return build(values)


def listing_from_text(raw: Mapping[str, str | None]) -> ListingInput:
    """A form's or a CSV row's text. Features are separated by ``|`` or line breaks (a ``;``
    or a ``,`` stays inside a feature); photos by spaces, line breaks or ``|``."""
    values: dict[str, Any] = {key: (raw.get(key) or "") for key in FIELDS}
    values["features"] = [f for f in re.split(r"[|\n]", values["features"]) if f.strip()]
    values["photos"] = [p for p in re.split(r"[\s|]+", values["photos"]) if p]
    return build(values)


def parse_amount(text: str) -> Decimal | None:
    """ "R$ 750.000", "750000", "3.500,50" or "3500.50" as a Decimal; None when unreadable."""
    cleaned = text.replace("R$", "").replace(" ", "").replace("\u00a0", "")
    if len(cleaned) > 20:
        return None
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(".") > 1 or re.search(r"\.\d{3}$", cleaned):
        cleaned = cleaned.replace(".", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount < MAX_AMOUNT else None
