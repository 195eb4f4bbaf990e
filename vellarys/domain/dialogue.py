"""Dialogue rules around the reply: what the history says, the hottest signals, open questions.

The pure half of ``services.reply.answer``: which slot was asked last, which cards were already
sent, whether the lead said something that makes them hot at once (a visit, approved credit, an
offer, "quero fechar"); what a lead is told at a handoff is ``domain.handoff_promise``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain.conversation import BrainReply, Turn
from vellarys.domain.intent import listing_codes
from vellarys.domain.text import find_affirmed, fold

# Said once, these are a buyer ready to close: hand off at once, with the lead marked hot.
_CLOSING = re.compile(
    r"\b(?:credito (?:ja )?(?:foi )?aprovado|financiamento (?:ja )?(?:foi )?aprovado"
    r"|(?:fui|ja fui|estou|to) aprovad[oa]|carta de credito aprovada"
    r"|quero fechar|vamos fechar|bora fechar|quero (?:fazer|mandar) (?:uma )?proposta"
    r"|(?:fazer|faco|faço|mandar|tenho) uma (?:proposta|oferta)|ofere[cç]o \w+"
    r"|quero comprar (?:esse|este|o ap\w*|ele)|fechar negocio|dou (?:um )?sinal)\b"
)
_RENTING = re.compile(r"\b(?:alug\w*|locac\w*|locar)\b")
_MORE = re.compile(
    r"\b(?:mais opc\w*|outras opc\w*|mais imove\w*|outros imove\w*|tem mais|mais algum"
    r"|manda mais|mais op\w*|outras? sugest\w*|ver mais)\b"
)
_POINTS = re.compile(
    r"\b(?:esse|essa|este|esta|desse|dessa|deste|nesse|nessa|neste|dele|dela|ele|ela"
    r"|o primeiro|a primeira|o segundo|o terceiro|o ultimo)\b"
)
# Owners are qualified with these, one question a reply, in this order.
OWNER_SLOTS = (
    "owner_address",
    "owner_property_type",
    "expected_price",
    "owner_financed",
    "exclusivity",
)
OWNER_QUESTIONS = {
    "owner_address": "Qual é o endereço (ou ao menos o bairro) do imóvel?",
    "owner_property_type": "Que tipo de imóvel é (apartamento, casa...) e quantos quartos tem?",
    "expected_price": "Quanto você espera pedir por ele?",
    "owner_financed": "Ele está quitado ou ainda tem financiamento em aberto?",
    "exclusivity": (
        "Ele já está anunciado com outra imobiliária, ou você toparia trabalhar com "
        "exclusividade com a gente?"
    ),
}


def last_asked(history: Sequence[Turn]) -> str | None:
    """The slot the assistant's last reply asked, unless a broker spoke since."""
    for turn in reversed(history):
        if turn.role == "assistant":
            asked = turn.media.get("asked")
            return str(asked) if asked else None
        if turn.role == "broker":
            return None
    return None


def asked_before(history: Sequence[Turn]) -> list[str]:
    return [
        str(t.media["asked"]) for t in history if t.role == "assistant" and t.media.get("asked")
    ]


def shown_codes(history: Sequence[Turn]) -> list[str]:
    """Every card the assistant sent, oldest first, once each."""
    codes = [
        str(code)
        for t in history
        if t.role == "assistant"
        for code in (t.media.get("properties") or ())
    ]
    return list(dict.fromkeys(codes))


def last_shown(history: Sequence[Turn]) -> str | None:
    for turn in reversed(history):
        shown = turn.media.get("properties") if turn.role == "assistant" else None
        if shown:
            return str(shown[0])
    return None


def named_listing(history: Sequence[Turn]) -> str | None:
    """The last card sent when the lead had asked for it by code ("vi o anúncio AP1501"):
    what "quanto fica a parcela?" is about, until another card is sent."""
    shown = last_shown(history)
    for turn in reversed(history):
        codes = listing_codes(turn.content) if turn.role == "user" else []
        if codes:
            return shown if shown in codes else None
    return None


def last_batch(history: Sequence[Turn]) -> list[str]:
    for turn in reversed(history):
        shown = turn.media.get("properties") if turn.role == "assistant" else None
        if shown:
            return [str(code) for code in shown]
    return []


def closing_signal(text: str) -> bool:
    """Approved credit, an offer, "quero fechar": the lead is ready to close."""
    return find_affirmed(fold(text), _CLOSING) is not None


def closing_intent(text: str) -> str | None:
    """A lead ready to close is buying (or renting, when they say so), never an owner or a
    client with a problem, whatever the nearest examples say: "meu crédito foi aprovado"."""
    if not closing_signal(text):
        return None
    return "rent" if _RENTING.search(fold(text)) else "buy"


def points_at_listing(text: str) -> bool:
    """ "esse", "dele", "o primeiro": the lead means a listing already shown."""
    return bool(_POINTS.search(fold(text)))


def wants_more(text: str) -> bool:
    """ "mais opções", "tem outros?": page forward past the cards already sent."""
    return bool(_MORE.search(fold(text)))


def without_question(reply: BrainReply) -> list[str]:
    """The reply minus its closing question: the broker asks the next questions now."""
    messages = list(reply.messages)
    if not reply.asked or not messages:
        return messages
    paragraphs = messages[-1].split("\n\n")
    if paragraphs[-1].rstrip().endswith("?"):
        rest = "\n\n".join(paragraphs[:-1]).strip()
        messages = [*messages[:-1], rest] if rest else messages[:-1]
    return messages


def add_open_question(profile: Mapping[str, Any], question: str | None) -> dict[str, Any]:
    """The profile with ``question`` appended to its open questions (once)."""
    updated = dict(profile)
    if question:
        pending = [str(q) for q in updated.get("open_questions") or []]
        if question not in pending:
            updated["open_questions"] = [*pending, question][-10:]
    return updated


def next_owner_slot(profile: Mapping[str, Any], just_asked: str | None) -> str | None:
    return next(
        (slot for slot in OWNER_SLOTS if not profile.get(slot) and slot != just_asked), None
    )
