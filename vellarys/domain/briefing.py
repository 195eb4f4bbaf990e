"""The manager's morning briefing: what happened yesterday and who is waiting, in one message.

Pure: the figures come in, a WhatsApp-formatted text and a JSON-ready dict go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any

from vellarys.domain.budget import format_brl

# A broker needs this many answered handoffs before "best" or "slowest" says anything about them.
MIN_HANDOFFS_TO_RANK = 1
_SHOWN = 5  # names listed per section; the rest is a count


@dataclass(frozen=True, slots=True)
class LeadLine:
    name: str
    phone: str
    detail: str  # e.g. "Pinheiros · até R$ 800 mil" or the broker waited for


@dataclass(frozen=True, slots=True)
class BrokerDay:
    name: str
    handoffs: int
    response_minutes: tuple[float, ...]  # one per handoff answered, minutes to the first reply

    @property
    def median_minutes(self) -> float | None:
        return median(self.response_minutes) if self.response_minutes else None


@dataclass(frozen=True, slots=True)
class Briefing:
    agency: str
    day: date  # "yesterday" in the agency's time zone
    new_leads: int
    hot_leads: tuple[LeadLine, ...]
    waiting: tuple[LeadLine, ...]  # handed off, no broker reply yet
    first_response_seconds: float | None  # median, the assistant's first reply to new leads
    brokers: tuple[BrokerDay, ...]
    visits_today: tuple[LeadLine, ...] = ()

    @property
    def ranked(self) -> list[BrokerDay]:
        """Brokers with answered handoffs, fastest first."""
        timed = [b for b in self.brokers if len(b.response_minutes) >= MIN_HANDOFFS_TO_RANK]
        return sorted(timed, key=lambda b: (b.median_minutes or 0.0, b.name))

    @property
    def best(self) -> BrokerDay | None:
        return self.ranked[0] if self.ranked else None

    @property
    def slowest(self) -> BrokerDay | None:
        return self.ranked[-1] if len(self.ranked) > 1 else None


def profile_line(profile: dict[str, Any]) -> str:
    """What a hot lead is after, in a few words: "Pinheiros · até R$ 800.000"."""
    where = ", ".join(profile.get("neighborhoods") or []) or str(profile.get("city") or "")
    top = profile.get("budget_max")
    budget = f"até {format_brl(top)}" if isinstance(top, int | float) and top > 0 else ""
    return " · ".join(part for part in (where, budget) if part)


def _duration(minutes: float) -> str:
    if minutes < 1:
        return "menos de 1 min"
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _lines(items: tuple[LeadLine, ...]) -> list[str]:
    shown = [f"• {i.name} ({i.phone})" + (f" — {i.detail}" if i.detail else "") for i in items]
    extra = len(items) - _SHOWN
    return shown[:_SHOWN] + ([f"• e mais {extra}"] if extra > 0 else [])


def render(briefing: Briefing) -> str:
    """The briefing as one WhatsApp / e-mail text in Brazilian Portuguese."""
    b = briefing
    out = [f"*Bom dia! Resumo de {b.day:%d/%m} — {b.agency}*", ""]
    out.append(f"*Novos leads:* {b.new_leads}")
    out.append(f"*Leads quentes:* {len(b.hot_leads)}")
    out += _lines(b.hot_leads)
    out += ["", f"*Aguardando corretor:* {len(b.waiting)}"]
    out += _lines(b.waiting) if b.waiting else ["• ninguém esperando 👏"]
    out += ["", f"*Visitas hoje:* {len(b.visits_today)}"]
    out += _lines(b.visits_today)
    if b.first_response_seconds is not None:
        first = _duration(b.first_response_seconds / 60)
        out += ["", f"*Primeira resposta da assistente (mediana):* {first}"]
    out += _broker_lines(b)
    return "\n".join(out).strip()


def _broker_lines(b: Briefing) -> list[str]:
    if b.best is None:
        return []
    out = ["", "*Corretores (tempo até responder um lead passado):*"]
    out.append(f"• Mais rápido: {b.best.name} — {_duration(b.best.median_minutes or 0.0)}")
    if b.slowest is not None:
        slow = _duration(b.slowest.median_minutes or 0.0)
        out.append(f"• Mais lento: {b.slowest.name} — {slow}")
    return out


def as_dict(briefing: Briefing) -> dict[str, Any]:
    """JSON-ready figures (``vellarys briefing preview --json``)."""
    b = briefing

    def lines(items: tuple[LeadLine, ...]) -> list[dict[str, str]]:
        return [{"name": i.name, "phone": i.phone, "detail": i.detail} for i in items]

    def broker(day: BrokerDay | None) -> dict[str, Any] | None:
        if day is None:
            return None
        return {"name": day.name, "handoffs": day.handoffs, "median_minutes": day.median_minutes}

    return {
        "agency": b.agency,
        "day": b.day.isoformat(),
        "new_leads": b.new_leads,
        "hot_leads": lines(b.hot_leads),
        "waiting_for_broker": lines(b.waiting),
        "visits_today": lines(b.visits_today),
        "first_response_median_seconds": b.first_response_seconds,
        "brokers": [broker(d) for d in b.brokers],
        "best_broker": broker(b.best),
        "slowest_broker": broker(b.slowest),
        "text": render(b),
    }
