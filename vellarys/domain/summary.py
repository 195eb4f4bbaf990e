"""The offline summary of a lead: what a broker needs to read in ten seconds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain.budget import format_brl
from vellarys.domain.conversation import Turn

INTENTS = {
    "buy": "comprar",
    "rent": "alugar",
    "invest": "investir",
    "sell": "vender um imóvel",
    "rent_out": "colocar um imóvel para alugar",
    "support": "atendimento de cliente",
}
TYPES = {
    "apartment": "apartamento",
    "house": "casa",
    "condo_house": "casa em condomínio",
    "studio": "studio",
    "commercial": "imóvel comercial",
    "land": "terreno",
}
TIMELINES = {
    "now": "imediato",
    "3_months": "até 3 meses",
    "6_months": "até 6 meses",
    "12_months": "até 12 meses",
    "browsing": "só pesquisando",
}
PAYMENTS = {
    "financing": "financiamento",
    "fgts": "FGTS",
    "cash": "à vista",
    "consortium": "consórcio",
    "trade": "permuta",
}
# How many of the lead's own recent messages the summary quotes.
QUOTED_MESSAGES = 3


def summarize(profile: Mapping[str, Any], history: Sequence[Turn], *, name: str | None) -> str:
    """A short Portuguese summary built from the profile and the lead's latest words."""
    lines = [_headline(profile, name)]
    details = _details(profile)
    if details:
        lines.append("; ".join(details) + ".")
    owner = [f"{label}: {profile[key]}" for key, label in _OWNER.items() if profile.get(key)]
    if owner:
        lines.append("Imóvel do proprietário: " + "; ".join(owner) + ".")
    quotes = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    if quotes:
        recent = " / ".join(f"“{q[:140]}”" for q in quotes[-QUOTED_MESSAGES:])
        lines.append(f"Últimas mensagens: {recent}")
    pending = [str(q) for q in profile.get("open_questions") or []]
    if pending:
        lines.append("Dúvidas em aberto (prometemos responder): " + " / ".join(pending))
    return "\n".join(lines)


_OWNER = {
    "owner_address": "endereço",
    "owner_property_type": "tipo",
    "expected_price": "preço esperado",
    "owner_financed": "financiamento",
    "exclusivity": "exclusividade",
}


def _headline(profile: Mapping[str, Any], name: str | None) -> str:
    who = profile.get("name") or name or "Lead"
    intent = INTENTS.get(str(profile.get("intent")), "")
    kind = TYPES.get(str(profile.get("property_type")), "imóvel")
    where = ", ".join(profile.get("neighborhoods") or []) or profile.get("city") or ""
    wants = f" quer {intent} {kind}" if intent else f" procura {kind}"
    return f"{who}{wants}{f' em {where}' if where else ''}."


def _details(profile: Mapping[str, Any]) -> list[str]:
    details = []
    budget = _budget(profile)
    if budget:
        details.append(budget)
    if profile.get("bedrooms"):
        details.append(f"{profile['bedrooms']}+ quartos")
    if profile.get("parking") is not None:
        details.append(f"{profile['parking']}+ vagas")
    if profile.get("timeline"):
        details.append(f"prazo: {TIMELINES.get(profile['timeline'], profile['timeline'])}")
    if profile.get("payment"):
        details.append("pagamento: " + ", ".join(PAYMENTS.get(p, p) for p in profile["payment"]))
    if profile.get("pets"):
        details.append("tem pet")
    if profile.get("email"):
        details.append(f"e-mail: {profile['email']}")
    if profile.get("offer_amount"):
        details.append(f"proposta: {format_brl(profile['offer_amount'])}")
    if profile.get("contact_time"):
        details.append(f"pediu contato: {profile['contact_time']}")
    return details


def _budget(profile: Mapping[str, Any]) -> str | None:
    low, high = profile.get("budget_min"), profile.get("budget_max")
    monthly = "/mês" if profile.get("intent") == "rent" else ""
    if low and high:
        return f"orçamento entre {format_brl(low)} e {format_brl(high)}{monthly}"
    if high:
        return f"orçamento até {format_brl(high)}{monthly}"
    if low:
        return f"orçamento a partir de {format_brl(low)}{monthly}"
    return None
