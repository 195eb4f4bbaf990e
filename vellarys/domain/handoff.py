"""Who a lead asked for by name or duty, and what the broker and the lead are told (the
distribution rules are ``domain.routing``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vellarys.domain.text import fold


@dataclass(frozen=True, slots=True)
class StaffOption:
    """Any staff member, for handoffs that go to a named person or to a duty (route)."""

    key: str
    name: str
    role: str
    duties: frozenset[str] = frozenset()  # "listings" (takes owners), "support" (clients)


def choose_staff(
    staff: Sequence[StaffOption], *, named: str | None, route: str | None
) -> StaffOption | None:
    """The person the lead named, else whoever has the route's duty, else an admin for a route.

    None means: no special person, the round robin among brokers decides.
    """
    if named:
        wanted = fold(named)
        for person in staff:
            if fold(person.name) == wanted or fold(person.name).split()[0] == wanted.split()[0]:
                return person
    if route:
        duty = next((p for p in staff if route in p.duties), None)
        return duty or next((p for p in staff if p.role == "admin"), None)
    return None


def lead_notice(broker_name: str | None) -> str:
    """What the lead reads when a person takes over."""
    if broker_name:
        first = broker_name.split()[0]
        return (
            f"Vou passar seu atendimento para {first}, do nosso time de corretores, "
            "que vai falar com você em breve. 🙂"
        )
    return (
        "Vou passar seu atendimento para um de nossos corretores, "
        "que vai falar com você em breve. 🙂"
    )


_WHY = {
    "requested": "pediu para falar com um corretor",
    "hot": "está quente",
    "owner": "é proprietário e quer vender ou alugar o imóvel",
    "client": "é cliente e precisa de atendimento",
    "manual": "foi atribuído a você pela equipe",
}


def broker_notice(
    *,
    lead_name: str | None,
    phone: str,
    reason: str,
    summary: str,
    codes: Sequence[str],
    dashboard_url: str | None,
) -> str:
    """The WhatsApp message a broker receives with a new lead."""
    why = _WHY.get(reason, "está quente")
    lines = [f"🔥 Novo lead para você: {lead_name or 'sem nome'} ({phone}) {why}.", "", summary]
    if codes:
        lines += ["", "Imóveis apresentados: " + ", ".join(codes)]
    if dashboard_url:
        lines += ["", f"Conversa completa: {dashboard_url}"]
    return "\n".join(lines)
