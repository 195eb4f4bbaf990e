"""Feature switches the operator sets per agency. Every feature is on unless switched off,
and each one is read by the code path it names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LLM_BRAIN = "llm_brain"  # services.reply: off -> the offline brain answers
FOLLOW_UPS = "follow_ups"  # services.followups.plan: off -> nothing is planned
FEEDS = "feeds"  # the portal feed job: off -> the agency's feed is not synced
VOICE = "voice"  # services.media: off -> voice notes are stored, not transcribed
WEBHOOKS = "webhooks"  # services.webhooks.emit: off -> no outgoing webhook is queued

LABELS: dict[str, str] = {
    LLM_BRAIN: "Cérebro LLM",
    FOLLOW_UPS: "Follow-ups automáticos",
    FEEDS: "Feed de portais (XML)",
    VOICE: "Transcrição de áudios",
    WEBHOOKS: "Webhooks de saída",
}
NAMES = tuple(LABELS)


def enabled(features: Mapping[str, Any] | None, name: str) -> bool:
    """True unless ``features`` switches ``name`` off (``{"voice": false}``)."""
    if name not in LABELS:
        raise KeyError(name)
    return (features or {}).get(name) is not False


def switched(on: set[str]) -> dict[str, bool]:
    """The stored form of a switches form: every known feature, on or off."""
    return {name: name in on for name in NAMES}
