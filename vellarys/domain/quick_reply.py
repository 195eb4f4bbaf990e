"""Quick replies: the agency's saved answers and the variables they are filled with."""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_SHORTCUT = 40
MAX_BODY = 2000
VARIABLES = ("nome", "corretor", "imovel")
_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]*")
_VARIABLE = re.compile(r"\{(nome|corretor|imovel)\}")


def check_quick_reply(shortcut: str, body: str) -> str | None:
    """Why a quick reply cannot be saved (in Portuguese), or None."""
    if not _SHORTCUT.fullmatch(shortcut) or len(shortcut) > MAX_SHORTCUT:
        return (
            "O atalho usa letras minúsculas sem acento, números, - ou _ "
            f"(até {MAX_SHORTCUT} caracteres), como /visita."
        )
    if not body.strip():
        return "Escreva o texto da resposta rápida."
    if len(body) > MAX_BODY:
        return f"A resposta rápida tem no máximo {MAX_BODY} caracteres."
    return None


def fill(body: str, values: Mapping[str, str]) -> str:
    """``body`` with ``{nome}``, ``{corretor}`` and ``{imovel}`` replaced; a value not known
    for this conversation leaves a neutral word rather than a raw brace."""
    neutral = {"nome": "", "corretor": "", "imovel": "o imóvel"}

    def value(match: re.Match[str]) -> str:
        return values.get(match.group(1)) or neutral[match.group(1)]

    filled = _VARIABLE.sub(value, body)
    return re.sub(r"[ \t]+([,.!?])", r"\1", re.sub(r"[ \t]{2,}", " ", filled)).strip()
