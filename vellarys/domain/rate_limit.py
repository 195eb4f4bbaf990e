"""Per-minute message limits and the fair order of agencies in the queue (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Over = Literal["lead", "agency"]

NOTICES: dict[Over, str] = {
    "lead": (
        "Recebi várias mensagens suas em sequência 🙂 Vou ler tudo com calma "
        "e te respondo em instantes."
    ),
    "agency": (
        "Estamos com muitas conversas neste momento 🙏 Já vi a sua mensagem "
        "e te respondo em instantes."
    ),
}

# procrastinate runs due jobs by priority, highest first; a floor keeps the integer sane.
LOWEST_PRIORITY = -1_000_000


@dataclass(frozen=True, slots=True)
class MinuteCounts:
    """Messages counted in the current minute, this one included."""

    agency: int
    lead: int


def over_limit(counts: MinuteCounts, *, lead_limit: int, agency_limit: int) -> Over | None:
    """Which limit this message goes past, the lead's first."""
    if counts.lead > lead_limit:
        return "lead"
    if counts.agency > agency_limit:
        return "agency"
    return None


def fair_priority(counts: MinuteCounts) -> int:
    """The n-th message of an agency in a minute runs after every agency's earlier ones.

    Giving each job the rank of its message within its agency's minute interleaves agencies
    like a round robin: an agency that sends 300 messages does not delay another's first."""
    return max(LOWEST_PRIORITY, -counts.agency)
