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
    return {"type": "string", "enum": list(values), "description": description}


def _strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def _number(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "number", "minimum": 0, "description": description, **extra}


def _count(description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "description": description}


_INTENT = _enum(INTENTS, "What the lead wants to do")
_PROPERTY_TYPE = _enum(PROPERTY_TYPES, "Kind of property")
_BUDGET_MIN = _number("Minimum price in BRL (monthly rent when renting)")
_BUDGET_MAX = _number("Maximum price in BRL (monthly rent when renting)")

TOOLS: list[dict[str, Any]] = [
    _tool(
        "search_properties",
        "Search the agency's listings. Use before mentioning any property. Returns at most a "
        "few matches with code, price and details.",
        {
            "intent": _INTENT,
            "property_type": _PROPERTY_TYPE,
            "city": {"type": "string"},
            "neighborhoods": _strings("Neighborhood names"),
            "budget_min": _BUDGET_MIN,
            "budget_max": _BUDGET_MAX,
            "bedrooms": _count("Minimum bedrooms"),
            "parking": _count("Minimum parking spaces"),
            "pets": {"type": "boolean", "description": "Must accept pets"},
            "query": {"type": "string", "description": "Other wishes, free text (pt-BR)"},
        },
    ),
    _tool(
        "lookup_property",
        "Get one listing by its code (e.g. AP1234), when the lead mentions a code.",
        {"code": {"type": "string"}},
        "code",
    ),
    _tool(
        "search_knowledge",
        "Search the agency's documents (fees, documents, rules, process, policies) to answer "
        "a question. Use before stating any fee, rate, rule or condition.",
        {"question": {"type": "string", "description": "The question, in pt-BR"}},
        "question",
    ),
    _tool(
        "simulate_financing",
        "Estimate monthly payments of a housing loan (an estimate, never an approval).",
        {
            "price": _number("Property price in BRL"),
            "down_payment": _number("Down payment in BRL"),
            "fgts": _number("FGTS balance used in BRL; it counts as down payment"),
            "annual_rate": _number("Annual interest rate as a fraction", default=0.11),
            "years": {"type": "integer", "minimum": 1, "maximum": 35, "default": 30},
            "system": _enum(("sac", "price"), "Amortization system"),
        },
        "price",
    ),
    _tool(
        "listing_facts",
        "A listing's own facts from its fields (pets, IPTU with its period, condomínio, floor, "
        "units per floor, parking, area, features, sale or rent). Use for any question about "
        "one listing.",
        {
            "code": {"type": "string"},
            "facts": {
                "type": "array",
                "items": {"type": "string", "enum": list(LISTING_FACTS)},
                "description": "What the lead asked about",
            },
        },
        "code",
    ),
    _tool(
        "purchase_costs",
        "ITBI (the city's rate), deed, registry and certificates for a price, computed for this "
        "lead. Use instead of quoting a document's example.",
        {
            "price": _number("Property price in BRL"),
            "city": {"type": "string"},
            "financed": {"type": "boolean"},
        },
        "price",
    ),
    _tool(
        "affordability",
        "The largest instalment (30 % of the gross monthly income) and the price it reaches.",
        {
            "monthly_income": _number("Gross monthly income in BRL"),
            "savings": _number("FGTS plus money for the down payment, in BRL"),
        },
        "monthly_income",
    ),
    _tool(
        "record_open_question",
        "Record a question you could not answer, so the broker answers it. Use when you say a "
        "broker will confirm.",
        {"question": {"type": "string", "maxLength": 240}},
        "question",
    ),
    _tool(
        "update_lead_profile",
        "Save what the lead told about themselves or what they look for. Send only what is new.",
        {
            "name": {"type": "string", "maxLength": MAX_TEXT},
            "email": {"type": "string"},
            "intent": _INTENT,
            "property_type": _PROPERTY_TYPE,
            "city": {"type": "string"},
            "neighborhoods": _strings("Neighborhoods of interest"),
            "budget_min": _BUDGET_MIN,
            "budget_max": _BUDGET_MAX,
            "bedrooms": _count("Minimum bedrooms"),
            "parking": _count("Minimum parking spaces"),
            "timeline": _enum(TIMELINES, "When the lead plans to move or close"),
            "payment": {
                "type": "array",
                "items": {"type": "string", "enum": list(PAYMENTS)},
                "description": "How the lead intends to pay",
            },
            "pets": {"type": "boolean", "description": "The lead has pets"},
            "wants_human": {"type": "boolean", "description": "The lead asked for a person"},
        },
    ),
    _tool(
        "visit",
        "Visits. offer: free slots of a listing (when: the lead's wish, pt-BR). book: the slot "
        "number the lead chose from the offer (hands the lead to the broker). cancel. To move a "
        "booked visit: offer, then book.",
        {
            "action": _enum(VISIT_ACTIONS, ""),
            "code": {"type": "string"},
            "when": {"type": "string"},
            "slot": {"type": "integer", "minimum": 1},
        },
        "action",
    ),
    _tool(
        "hand_off",
        "Pass the conversation to a person: the lead asked for one (requested); is ready to "
        "visit, make an offer or close (hot); owns a property to sell or rent out (owner, goes "
        "to whoever takes listings); is a current client with a problem or request, such as a "
        "tenant with a leak (client, goes to whoever serves clients).",
        {
            "reason": _enum(HANDOFF_REASONS, "Why"),
            "note": {
                "type": "string",
                "maxLength": 300,
                "description": "One line for the person who takes over, in pt-BR",
            },
        },
        "reason",
    ),
]
