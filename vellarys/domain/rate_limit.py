"""Per-minute message limits and the fair order of agencies in the queue (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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


# An agency's own limits, in its settings (``tenants.settings``); absent: the deployment's.
LEAD_LIMIT_KEY = "lead_messages_per_minute"
AGENCY_LIMIT_KEY = "agency_messages_per_minute"
LEAD_LIMIT_RANGE = (1, 600)
AGENCY_LIMIT_RANGE = (1, 100_000)


@dataclass(frozen=True, slots=True)
class Limits:
    """Messages per minute past which a lead, or the whole agency, waits for the next minute."""

    lead: int
    agency: int


def agency_limits(settings: Mapping[str, Any] | None, *, default: Limits) -> Limits:
    """The agency's own limits where it set them (within range), the deployment's elsewhere."""
    own = settings or {}
    return Limits(
        lead=_own(own.get(LEAD_LIMIT_KEY), LEAD_LIMIT_RANGE, default.lead),
        agency=_own(own.get(AGENCY_LIMIT_KEY), AGENCY_LIMIT_RANGE, default.agency),
    )


def _own(value: object, bounds: tuple[int, int], default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]:
        return value
    return default


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
