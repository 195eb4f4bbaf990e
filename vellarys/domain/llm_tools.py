"""The tools the LLM brain offers the model, as OpenAI function schemas, and the value sets
the model's arguments are checked against."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vellarys.domain.glossary import Intent, PropertyType, values

INTENTS = values(Intent)
PROPERTY_TYPES = values(PropertyType)
TIMELINES = ("now", "3_months", "6_months", "12_months", "browsing")
PAYMENTS = ("financing", "fgts", "cash", "consortium", "trade")
HANDOFF_REASONS = ("requested", "hot", "owner", "client")
VISIT_ACTIONS = ("offer", "book", "cancel", "status")
LISTING_FACTS = (
    "transaction",
    "pets",
    "iptu",
    "condo_fee",
    "units_per_floor",
    "floor",
    "parking",
    "area",
    "bedrooms",
    "features",
)
MAX_BUDGET = 10**9
MAX_COUNT = 50  # bedrooms, parking
MAX_TEXT = 80  # names, cities, neighborhoods


def _tool(
    name: str, description: str, properties: dict[str, Any], *required: str
) -> dict[str, Any]:
    parameters = {"type": "object", "properties": properties, "required": list(required)}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def _enum(values: Sequence[str], description: str) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "string", "enum": list(values)}
    return found | ({"description": description} if description else {})


def _strings(description: str) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    return found | ({"description": description} if description else {})


_INTENT = _enum(INTENTS, "")
_PROPERTY_TYPE = _enum(PROPERTY_TYPES, "")
_STRING: dict[str, Any] = {"type": "string"}
_AMOUNT: dict[str, Any] = {"type": "number", "minimum": 0}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
CALCULATIONS = ("financing", "purchase_costs", "affordability")

# Terse on purpose: the schemas go with every round, so each word costs on every turn. The
# names and the system prompt's rules say the rest; amounts are BRL, rents are monthly.
TOOLS: list[dict[str, Any]] = [
    _tool(
        "search_properties",
        "Search listings (the lead's profile fills what you omit).",
        {
            "intent": _INTENT,
            "property_type": _PROPERTY_TYPE,
            "city": _STRING,
            "neighborhoods": _strings(""),
            "budget_max": _AMOUNT,
            "bedrooms": _COUNT,
            "pets": {"type": "boolean"},
            "query": _STRING,
        },
    ),
    _tool(
        "listing",
        "One listing by code, with the facts asked about.",
        {"code": _STRING, "facts": {"type": "array", "items": _enum(LISTING_FACTS, "")}},
        "code",
    ),
    _tool(
        "search_knowledge",
        "The agency's documents: fees, rules, process.",
        {"question": _STRING},
        "question",
    ),
    _tool(
        "calculate",
        "financing (instalments; FGTS counts as down payment), purchase_costs (ITBI, deed, "
        "registry), affordability (first SAC instalment at 30% of income).",
        {
            "what": _enum(CALCULATIONS, ""),
            "price": _AMOUNT,
            "fgts": _AMOUNT,
            "down_payment": _AMOUNT,
            "monthly_income": _AMOUNT,
            "savings": _AMOUNT,
            "city": _STRING,
            "financed": {"type": "boolean"},
            "years": {"type": "integer", "minimum": 1, "maximum": 35},
            "system": _enum(("sac", "price"), ""),
        },
        "what",
    ),
    _tool(
        "record_open_question",
        "A question a broker will answer.",
        {"question": {"type": "string", "maxLength": 240}},
        "question",
    ),
    _tool(
        "update_lead_profile",
        "Correct or complete the profile.",
        {
            "name": {"type": "string", "maxLength": MAX_TEXT},
            "email": _STRING,
            "intent": _INTENT,
            "property_type": _PROPERTY_TYPE,
            "city": _STRING,
            "neighborhoods": _strings(""),
            "budget_min": _AMOUNT,
            "budget_max": _AMOUNT,
            "bedrooms": _COUNT,
            "parking": _COUNT,
            "timeline": _enum(TIMELINES, ""),
            "payment": {"type": "array", "items": _enum(PAYMENTS, "")},
            "pets": {"type": "boolean"},
        },
    ),
    _tool(
        "visit",
        "offer: a listing's free slots (when: the lead's wish). book: the slot number chosen. "
        "cancel. Moving a visit: offer, then book.",
        {
            "action": _enum(VISIT_ACTIONS, ""),
            "code": _STRING,
            "when": _STRING,
            "slot": {"type": "integer", "minimum": 1},
        },
        "action",
    ),
    _tool(
        "hand_off",
        "To a person: requested, hot (ready to offer or close), owner (sells or lets their "
        "own), client (current client's problem). note: one line for them.",
        {"reason": _enum(HANDOFF_REASONS, ""), "note": {"type": "string", "maxLength": 300}},
        "reason",
    ),
]
