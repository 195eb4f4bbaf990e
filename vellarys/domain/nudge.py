"""Follow-ups to silent leads and reactivations of idle ones: when, and what they say.

Pure: the services hand in the agency's settings, the lead's profile and the listings found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vellarys.domain.budget import format_brl
from vellarys.domain.cards import PropertyHit
from vellarys.domain.property_search import profile_summary

MAX_FOLLOW_UPS = 5
SERVICE_WINDOW = timedelta(hours=24)
# Providers whose API refuses free text outside the 24-hour customer service window.
WINDOWED_PROVIDERS = frozenset({"meta"})


@dataclass(frozen=True, slots=True)
class NudgePolicy:
    """The agency's follow-up and reactivation settings, with the product's defaults."""

    follow_up_enabled: bool = True
    delays: tuple[int, ...] = (24, 48, 72)  # hours after the last message, per step
    reactivation_enabled: bool = True
    reactivation_days: int = 45
    reactivation_max: int = 2
    reactivation_gap_days: int = 15
    notify_hot_any_hour: bool = False
    handoff_alert_minutes: int = 15


def policy(settings: Mapping[str, Any]) -> NudgePolicy:
    """Read from ``tenants.settings``; a missing key takes the default (follow-ups on)."""
    count = _int(settings.get("follow_up_count"), 3, 0, MAX_FOLLOW_UPS)
    delays = tuple(
        sorted(
            _int(h, 24 * (i + 1), 1, 24 * 30)
            for i, h in enumerate(_list(settings.get("follow_up_delays_hours"), count))
        )
    )
    return NudgePolicy(
        follow_up_enabled=settings.get("follow_up_enabled", True) is not False and count > 0,
        delays=delays[:count],
        reactivation_enabled=settings.get("reactivation_enabled", True) is not False,
        reactivation_days=_int(settings.get("reactivation_days"), 45, 1, 365),
        notify_hot_any_hour=settings.get("notify_hot_any_hour") is True,
        handoff_alert_minutes=_int(settings.get("handoff_alert_minutes"), 15, 1, 24 * 60),
    )


def follow_up_due(
    p: NudgePolicy, *, base: datetime, step: int, previous_at: datetime | None
) -> datetime | None:
    """When step ``step`` (1-based) is due; None past the last step.

    ``base`` is the assistant's last message; a step delayed by the night or a holiday pushes
    the next one by the same gap, so two nudges never arrive back to back.
    """
    if step < 1 or step > len(p.delays):
        return None
    due = base + timedelta(hours=p.delays[step - 1])
    if previous_at is not None and step > 1:
        gap = timedelta(hours=p.delays[step - 1] - p.delays[step - 2])
        due = max(due, previous_at + gap)
    return due


def reactivation_due(
    p: NudgePolicy, *, last_talk: datetime, step: int, previous_at: datetime | None
) -> datetime | None:
    """When reactivation ``step`` is due: idle days after the last talk, then the gap."""
    if step < 1 or step > p.reactivation_max:
        return None
    due = last_talk + timedelta(days=p.reactivation_days)
    if previous_at is not None:
        due = max(due, previous_at + timedelta(days=p.reactivation_gap_days))
    return due


def window_open(provider: str, last_inbound: datetime | None, now: datetime) -> bool:
    """Whether free text may be sent: always on gateways, within 24 h of the lead's message on
    the Cloud API."""
    if provider not in WINDOWED_PROVIDERS:
        return True
    return last_inbound is not None and now - last_inbound < SERVICE_WINDOW


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing worth telling the lead about, and its old price when it went down."""

    hit: PropertyHit
    previous_price: int | None = None


def follow_up_text(
    *, step: int, name: str | None, profile: Mapping[str, Any], listing: Listing | None
) -> str:
    """One nudge: what they were looking for, a new matching listing if any, one easy question."""
    hello = f"Oi, {first_name(name)}!" if first_name(name) else "Oi!"
    wanted = interest(profile)
    if step == 1:
        lines = [f"{hello} 😊 Continuo por aqui para te ajudar a encontrar *{wanted}*."]
        question = "Quer que eu te mande mais opções?"
    elif step == 2:
        lines = [f"{hello} Passando para saber se ainda está procurando *{wanted}*."]
        question = "Prefere que eu separe opções em outro bairro ou faixa de preço?"
    else:
        lines = [
            f"{hello} Não quero te incomodar 🙂 Se ainda fizer sentido buscar *{wanted}*,"
            " é só me responder por aqui."
        ]
        question = "Posso te chamar mais para a frente, quando entrarem novidades?"
    if listing is not None:
        lines.append("Acabou de entrar um que combina com o que você procura:")
        lines.append(listing_line(listing))
        question = "Quer ver fotos ou agendar uma visita?"
    return "\n\n".join([*lines, question])


def reactivation_text(
    *,
    name: str | None,
    profile: Mapping[str, Any],
    listings: Sequence[Listing],
    persona: str,
    agency: str,
) -> str:
    """A note to a lead idle for weeks: their search and what is new or cheaper since then."""
    hello = f"Oi, {first_name(name)}!" if first_name(name) else "Oi!"
    opening = (
        f"{hello} Aqui é a {persona}, da {agency} 😊 Faz um tempo que conversamos sobre"
        f" *{interest(profile)}*."
    )
    if not listings:
        return f"{opening}\n\nAinda está procurando? Posso separar opções novas para você?"
    items = "\n".join(f"• {listing_line(item)}" for item in listings)
    return (
        f"{opening} Desde então chegaram novidades:\n\n{items}\n\n"
        "Quer que eu te conte mais sobre algum deles?"
    )


def listing_line(listing: Listing) -> str:
    hit = listing.hit
    suffix = "/mês" if hit.transaction == "rent" else ""
    price = f"*{format_brl(hit.price)}{suffix}*"
    if listing.previous_price and listing.previous_price > hit.price:
        price = f"de ~{format_brl(listing.previous_price)}~ por {price}"
    return f"{hit.title} — {hit.neighborhood}, {price} (cód. {hit.code})"


def interest(profile: Mapping[str, Any]) -> str:
    return profile_summary(profile) or "um imóvel"


def first_name(name: str | None) -> str:
    parts = (name or "").split()
    return parts[0].capitalize() if parts and parts[0].isalpha() else ""


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


def _list(value: Any, count: int) -> list[Any]:
    given = list(value) if isinstance(value, list | tuple) else []
    return given[:count] + [None] * (count - len(given))
