"""Web push: which in-app alerts a user may also get as a push on their devices, and what the
push says. Pure: the alert rows are the triggers; this only maps and words them."""

from __future__ import annotations

import json
from dataclasses import dataclass

# What a user can choose on "Minha conta", in the order shown.
PUSH_LABELS = {
    "handoff": "Lead repassado para mim",
    "hot_lead": "Lead quente",
    "visit": "Visita marcada, remarcada ou cancelada",
    "waiting": "Lead esperando demais por um corretor",
}
# The alert (notification) kind each push choice covers; other alerts never push.
ALERT_TO_PUSH = {
    "handoff": "handoff",
    "hot_lead": "hot_lead",
    "visit": "visit",
    "handoff_untaken": "waiting",
}
TITLES = {
    "handoff": "Novo lead para você",
    "hot_lead": "Lead quente",
    "visit": "Agenda de visitas",
    "waiting": "Lead esperando",
}
# Push services take at most 4 KB of encrypted payload; the text is cut well before that.
MAX_BODY = 300


def push_kind(alert_kind: str) -> str | None:
    """The push choice an alert belongs to, or None when that alert never pushes."""
    return ALERT_TO_PUSH.get(alert_kind)


def chosen_kinds(kinds: list[str] | tuple[str, ...]) -> list[str]:
    """Only known choices, in the labels' order."""
    return [kind for kind in PUSH_LABELS if kind in kinds]


@dataclass(frozen=True, slots=True)
class PushMessage:
    title: str
    body: str
    url: str
    tag: str

    def payload(self) -> bytes:
        """The JSON the service worker reads to show the notification."""
        data = {"title": self.title, "body": self.body, "url": self.url, "tag": self.tag}
        return json.dumps(data, ensure_ascii=False).encode()


def message_for(*, kind: str, text: str, lead_id: str | None, ref: str) -> PushMessage:
    """A phone notification for an alert: WhatsApp emphasis dropped, the lead's page to open."""
    body = text.replace("*", "").replace("_", " ").strip()
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1].rstrip() + "…"
    url = f"/leads/{lead_id}" if lead_id else "/notifications"
    if kind == "visit":
        url = "/visits"
    return PushMessage(TITLES[kind], body, url, f"{kind}:{lead_id or ''}:{ref}")


REASONS = {
    "hot": "lead quente",
    "requested": "pediu para falar com alguém",
    "manual": "atribuído pela equipe",
    "visit": "visita marcada",
    "owner": "quer vender ou alugar o imóvel dele",
    "client": "já é cliente",
}


def handoff_alert(name: str | None, phone: str, reason: str) -> str:
    """The broker's in-app alert (and push) for a lead handed to them."""
    why = REASONS.get(reason)
    tail = f" — {why}" if why else ""
    return f"🤝 Lead para você: *{name or 'Sem nome'}* ({phone}){tail}."
