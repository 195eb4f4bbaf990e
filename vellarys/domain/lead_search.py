"""What a leads list asks for: filters on the lead and its profile, a sort, a page.

Shared by the dashboard's leads page and the REST API, so both filter the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Literal

from vellarys.domain.message import clean_text
from vellarys.errors import BadRequest

SORTS = ("newest", "last_message", "score", "name")
DEFAULT_SORT = "newest"
UNASSIGNED: Literal["unassigned"] = "unassigned"
# Profile keys that have a filter of their own; ``custom`` takes any other key too.
PROFILE_FILTERS = ("neighborhood", "intent", "property_type", "city")
# Bounds of what a filter may say: past them no lead can match, and the database would
# refuse the value (NUL, dates past year 9999, integers past 64 bits) with an error.
MAX_FILTER_CHARS = 200
MAX_CUSTOM_FILTERS = 20
MAX_BUDGET = 10**13
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


@dataclass(frozen=True, slots=True)
class LeadFilters:
    """Every field narrows the list; ``None`` (or empty) means "any".

    ``assigned_user_id`` is a user id or ``"unassigned"``. ``created_from``/``created_to``
    are calendar days in the agency's time zone, both included. ``text`` matches the name
    or the phone. ``neighborhood`` matches one element of the profile's ``neighborhoods``;
    ``budget_min``/``budget_max`` bound the profile's ``budget_max``; ``custom`` is equality
    on any other profile key.
    """

    stage: str | None = None
    temperature: str | None = None
    assigned_user_id: uuid.UUID | Literal["unassigned"] | None = None
    channel_id: uuid.UUID | None = None
    created_from: date | None = None
    created_to: date | None = None
    text: str | None = None
    neighborhood: str | None = None
    intent: str | None = None
    property_type: str | None = None
    city: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None  # "portal" takes every portal:<name>
    campaign: str | None = None


def check_bounds(filters: LeadFilters) -> None:
    """``BadRequest`` (in Portuguese) for a filter no lead can match or the database cannot
    take: a NUL or invalid character, a text over ``MAX_FILTER_CHARS``, a budget outside
    ``0..MAX_BUDGET``, a day outside ``FIRST_DAY..LAST_DAY``, too many profile filters."""
    texts = [getattr(filters, f.name) for f in fields(filters)]
    texts = [t for t in texts if isinstance(t, str)] + [*filters.custom, *filters.custom.values()]
    for text in texts:
        if clean_text(text) != text:
            raise BadRequest("O filtro tem caracteres inválidos.")
        if len(text) > MAX_FILTER_CHARS:
            raise BadRequest(f"Cada filtro tem no máximo {MAX_FILTER_CHARS} caracteres.")
    if len(filters.custom) > MAX_CUSTOM_FILTERS:
        raise BadRequest(f"No máximo {MAX_CUSTOM_FILTERS} filtros de perfil.")
    for budget in (filters.budget_min, filters.budget_max):
        if budget is not None and not 0 <= budget <= MAX_BUDGET:
            raise BadRequest(f"Orçamento: de 0 a {MAX_BUDGET:,}.".replace(",", "."))
    for day in (filters.created_from, filters.created_to):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise BadRequest(f"Data: de {FIRST_DAY:%d/%m/%Y} a {LAST_DAY:%d/%m/%Y}.")


def profile_matches(key: str, value: str) -> list[dict[str, object]]:
    """The JSON documents any of which ``custom_data @>`` must contain for ``key == value``.

    Query strings are text, but the profile stores numbers, booleans and lists
    ("bedrooms": 3, "payment": ["fgts"]): each reading of ``value`` is one candidate.
    """
    candidates: list[dict[str, object]] = [{key: value}, {key: [value]}]
    stripped = value.strip()
    if stripped.lstrip("-").isdigit():
        number = int(stripped)
        candidates += [{key: number}, {key: [number]}]
    if stripped.lower() in ("true", "false"):
        candidates.append({key: stripped.lower() == "true"})
    return candidates


def like_pattern(text: str) -> str:
    """``text`` as a substring ILIKE pattern, its own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def phone_digits(text: str) -> str | None:
    """The digits of a search that looks like (part of) a phone number, else None."""
    digits = "".join(ch for ch in text if ch.isdigit())
    rest = "".join(ch for ch in text if not ch.isdigit() and ch not in " +-().")
    return digits if len(digits) >= 3 and not rest else None


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()
    ):
        return "'" + text
    return text
