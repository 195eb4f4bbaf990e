"""How a reply opens: the agency's greeting on first contact and a word about media received."""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain import phrases
from vellarys.domain.conversation import Turn
from vellarys.domain.excerpt import sentences

QUIET_TYPES = frozenset({"reaction", "sticker"})
# An emoji between two sentences ends the first: "Sou a Bia 😊 Quer comprar ou alugar?".
_EMOJI_BREAK = re.compile(r"(?<=[\U0001F300-\U0001FAFF\u2600-\u27BF])\s+(?=[A-ZÀ-Ý])")
_EMOJI_END = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]\s*$")


def greeting(
    settings: Mapping[str, Any], agency_name: str, *, brief: bool = False
) -> tuple[str, str | None]:
    """The agency's greeting split from its question (asked at the end), or the default one.

    ``brief`` (a client with a problem, an owner): only the hello and who is talking, up to the
    first emoji; no sales pitch ("Posso te ajudar a encontrar um imóvel...") before empathy."""
    configured = str(settings.get("greeting") or "").strip()
    parts = [part for s in sentences(configured) for part in _EMOJI_BREAK.split(s) if part]
    questions = [s for s in parts if s.endswith("?")]
    told = [s for s in parts if not s.endswith("?")]
    if brief:
        ends = [i for i, s in enumerate(told) if _EMOJI_END.search(s)]
        told = told[: ends[0] + 1] if ends else told[:1]
    statement = " ".join(told)
    if not statement:
        persona = settings.get("persona_name") or phrases.DEFAULT_PERSONA
        statement = f"Olá! Aqui é a {persona} da {agency_name} 😊"
    return statement, questions[-1] if questions else None


def media_notes(messages: Sequence[Turn]) -> list[str]:
    """One line per kind of media received; an audio note asks the lead to write instead."""
    notes: list[str] = []
    for kind in dict.fromkeys(m.type for m in messages):
        if kind == "audio":
            notes.append(phrases.AUDIO_THEN_QUESTION)
        elif kind == "location":
            notes.append(phrases.LOCATION.format(place=_place(messages)))
        elif kind in phrases.MEDIA:
            notes.append(phrases.MEDIA[kind])
    return notes


def quiet_reply(messages: Sequence[Turn], variant: int) -> list[str]:
    """A sticker or a reaction gets a smile back, not another question."""
    last = messages[-1]
    if last.type == "sticker":
        return [phrases.STICKER]
    if last.media.get("emoji", "x"):  # an empty emoji is a reaction taken back
        return [phrases.REACTION[variant % len(phrases.REACTION)]]
    return []


def _place(messages: Sequence[Turn]) -> str:
    for message in messages:
        if message.type == "location":
            names = [str(message.media[k]) for k in ("name", "address") if message.media.get(k)]
            return f" ({', '.join(names)})" if names else ""
    return ""
