"""Play a scripted conversation through the real services and check every reply.

A script is what a lead writes, turn by turn, with checks: facts each reply must state,
things it must not say, constraints every listing card must meet, and the lead's final profile,
stage and temperature. Global checks run on every reply of every script: no markdown WhatsApp
cannot show, no card sent again unasked, no question about a slot already filled, at most one
question per reply, and nothing after an opt-out.

The messages go in through the simulator channel (``send_as_lead``) and are answered by
``handle_inbound`` with a clock set by the script, so after-hours conversations are
reproducible; the replies are read back from the stored outbound messages.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vellarys.db.models import Handoff, Lead, Property, Tenant, User
from vellarys.db.uow import unit_of_work
from vellarys.domain.intent import listing_codes
from vellarys.domain.property_search import PETS_REFUSED
from vellarys.domain.text import fold
from vellarys.services.deps import PipelineDeps
from vellarys.services.inbound import handle_inbound
from vellarys.services.simulator import replies_after, send_as_lead

# Markdown that WhatsApp shows as raw symbols.
OPEN_HOURS = "2026-11-25T14:00:00-03:00"  # a Wednesday afternoon

_MARKDOWN = (
    re.compile(r"\*\*"),
    re.compile(r"^\s*#{1,6}\s", re.M),
    re.compile(r"\|\s*-{3,}"),
    re.compile(r"^\s*\|.*\|\s*$", re.M),
    re.compile(r"```"),
    re.compile(r"\[[^\]]+\]\([^)]+\)"),
)
_CARD_CODE = re.compile(r"Código: ([A-Z]{2}\d{3,5})")


@dataclass(frozen=True)
class Turn:
    """One message of the lead and what the reply to it must (not) say (regexes, folded)."""

    text: str
    says: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    silent: bool = False  # the reply must be empty (a broker has the lead, or opted out)


@dataclass(frozen=True)
class Script:
    name: str
    style: str
    turns: tuple[Turn, ...]
    profile: Mapping[str, Any] = field(default_factory=dict)  # final fields that must hold
    stage: str | tuple[str, ...] | None = None
    temperature: str | tuple[str, ...] | None = None
    handoff: bool | None = None
    handoff_to: str | None = None  # first name of the person who got the lead
    listings: Mapping[str, Any] = field(default_factory=dict)  # constraints on every card
    open_questions: bool | None = None
    at: str = OPEN_HOURS


@dataclass
class Exchange:
    said: str
    replies: list[str]
    asked: list[str | None]
    profile_before: dict[str, Any]


@dataclass
class Played:
    script: Script
    exchanges: list[Exchange] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    fields_right: int = 0
    fields_checked: int = 0
    profile: dict[str, Any] = field(default_factory=dict)
    stage: str = ""
    temperature: str = ""
    handoff_to: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and not self.violations

    def transcript(self) -> str:
        lines = [f"### {self.script.name} ({self.script.style})"]
        for ex in self.exchanges:
            lines.append(f"👤 {ex.said}")
            lines += [f"🤖 {r}" for r in ex.replies] or ["🤖 (sem resposta)"]
        lines.append(
            f"→ perfil {self.profile} | estágio {self.stage} | temperatura {self.temperature}"
            + (f" | corretor {self.handoff_to}" if self.handoff_to else "")
        )
        return "\n".join(lines)


class FixedClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current


async def play(
    sessions: async_sessionmaker[AsyncSession],
    deps: PipelineDeps,
    *,
    tenant_id: uuid.UUID,
    script: Script,
    phone: str,
) -> Played:
    """Play ``script`` as the lead ``phone`` and check it."""
    clock = FixedClock(datetime.fromisoformat(script.at))
    deps = replace(deps, clock=clock)
    played = Played(script)
    async with _hours_for(sessions, tenant_id, script):
        for turn in script.turns:
            clock.current += timedelta(minutes=2)
            played.exchanges.append(await _exchange(sessions, deps, tenant_id, phone, turn.text))
    async with unit_of_work(sessions) as session:
        await _final(session, tenant_id, phone, played)
        cards = await _cards(session, tenant_id, played)
    _check_turns(played)
    _check_listings(played, cards)
    _check_global(played)
    _check_hard_filters(played, {c.code: c for c in cards})
    return played


@asynccontextmanager
async def _hours_for(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, script: Script
) -> AsyncIterator[None]:
    """A script set at its own hour is played with the demo agency's published business hours
    (the shared clone is otherwise always open); the clone's settings come back afterwards."""
    if script.at == OPEN_HOURS:
        yield
        return
    published = json.loads(
        files("vellarys.demo").joinpath("data", "agency.json").read_text(encoding="utf-8")
    )["settings"]["business_hours"]
    async with unit_of_work(sessions) as session:
        tenant = await session.get(Tenant, tenant_id)
        assert tenant is not None
        saved = dict(tenant.settings or {})
        tenant.settings = {**saved, "business_hours": published}
    try:
        yield
    finally:
        async with unit_of_work(sessions) as session:
            tenant = await session.get(Tenant, tenant_id)
            assert tenant is not None
            tenant.settings = saved


async def _exchange(
    sessions: async_sessionmaker[AsyncSession],
    deps: PipelineDeps,
    tenant_id: uuid.UUID,
    phone: str,
    text: str,
) -> Exchange:
    async with unit_of_work(sessions) as session:
        tenant = await session.get(Tenant, tenant_id)
        assert tenant is not None
        before = await _lead(session, tenant_id, phone)
        profile = dict(before.custom_data or {}) if before else {}
        sent = await send_as_lead(session, deps, tenant=tenant, phone=phone, text=text)
    async with unit_of_work(sessions) as session:
        await handle_inbound(session, deps, message_id=sent.message_id)
    async with unit_of_work(sessions) as session:
        found = await replies_after(session, sent)
    replies = [m.content for m in found.replies]
    asked = [(m.media or {}).get("asked") for m in found.replies if m.role == "assistant"]
    return Exchange(text, replies, asked, profile)


async def _lead(session: AsyncSession, tenant_id: uuid.UUID, phone: str) -> Lead | None:
    found = await session.execute(
        select(Lead).where(Lead.tenant_id == tenant_id, Lead.phone == phone)
    )
    return found.scalar_one_or_none()


async def _final(session: AsyncSession, tenant_id: uuid.UUID, phone: str, p: Played) -> None:
    lead = await _lead(session, tenant_id, phone)
    assert lead is not None
    p.profile, p.stage, p.temperature = dict(lead.custom_data or {}), lead.stage, lead.temperature
    handoff = (
        (
            await session.execute(
                select(Handoff).where(Handoff.tenant_id == tenant_id, Handoff.lead_id == lead.id)
            )
        )
        .scalars()
        .first()
    )
    if handoff is not None and handoff.user_id is not None:
        user = await session.get(User, handoff.user_id)
        p.handoff_to = user.name if user else None
    _check_final(p, handoff is not None)


def _check_final(p: Played, handed_off: bool) -> None:
    s = p.script
    for key, wanted in s.profile.items():
        p.fields_checked += 1
        value = p.profile.get(key)
        ok = _matches(value, wanted)
        p.fields_right += ok
        if not ok:
            p.failures.append(f"profile {key}={value!r}, expected {wanted!r}")
    if s.stage is not None and p.stage not in _options(s.stage):
        p.failures.append(f"stage {p.stage}, expected {s.stage}")
    if s.temperature is not None and p.temperature not in _options(s.temperature):
        p.failures.append(f"temperature {p.temperature}, expected {s.temperature}")
    if s.handoff is not None and handed_off != s.handoff:
        p.failures.append(f"handoff {handed_off}, expected {s.handoff}")
    if s.handoff_to and not (p.handoff_to or "").startswith(s.handoff_to):
        p.failures.append(f"handed to {p.handoff_to}, expected {s.handoff_to}")
    if s.open_questions is not None and bool(p.profile.get("open_questions")) != s.open_questions:
        p.failures.append(f"open questions {p.profile.get('open_questions')}")


def _matches(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, list) and isinstance(value, list):
        return set(map(fold_any, wanted)) <= set(map(fold_any, value))
    return fold_any(value) == fold_any(wanted)


def fold_any(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _options(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _check_turns(p: Played) -> None:
    for number, (turn, ex) in enumerate(zip(p.script.turns, p.exchanges, strict=True), 1):
        said = fold("\n".join(ex.replies))
        for pattern in turn.says:
            if not re.search(fold(pattern), said):
                p.failures.append(f"turn {number}: missing /{pattern}/")
        for pattern in turn.never:
            if re.search(fold(pattern), said):
                p.failures.append(f"turn {number}: must not say /{pattern}/")
        if turn.silent and ex.replies:
            p.failures.append(f"turn {number}: expected no reply")


async def _cards(session: AsyncSession, tenant_id: uuid.UUID, p: Played) -> list[Property]:
    codes = {c for ex in p.exchanges for r in ex.replies for c in _CARD_CODE.findall(r)}
    if not codes:
        return []
    found = await session.execute(
        select(Property).where(Property.tenant_id == tenant_id, Property.code.in_(codes))
    )
    rows = list(found.scalars())
    missing = codes - {r.code for r in rows}
    if missing:
        p.violations.append(f"invented listing codes {sorted(missing)}")
    return rows


_LISTING_CHECKS: dict[str, Callable[[Property, Any], bool]] = {
    "transaction": lambda prop, v: prop.transaction == v,
    "property_type": lambda prop, v: prop.property_type in _options(v),
    "min_bedrooms": lambda prop, v: prop.bedrooms >= v,
    "max_price": lambda prop, v: prop.price <= v,
    "max_monthly_total": lambda prop, v: prop.price + (prop.condo_fee or 0) <= v,
    "pets": lambda prop, v: PETS_REFUSED not in (prop.features or []),
    "neighborhoods": lambda prop, v: fold(prop.neighborhood) in {fold(n) for n in v},
}


def _check_listings(p: Played, cards: list[Property]) -> None:
    if p.script.listings.get("none") and cards:
        p.failures.append(f"no listing expected, got {[c.code for c in cards]}")
    for prop in cards:
        for key, wanted in p.script.listings.items():
            check = _LISTING_CHECKS.get(key)
            if check is not None and not check(prop, wanted):
                p.failures.append(f"card {prop.code} breaks {key}={wanted!r}")


def _check_global(p: Played) -> None:
    carded: set[str] = set()
    opted_out = False
    for number, ex in enumerate(p.exchanges, 1):
        text = "\n".join(ex.replies)
        if opted_out and ex.replies:
            p.violations.append(f"turn {number}: a reply after opt-out")
        for pattern in _MARKDOWN:
            if pattern.search(text):
                p.violations.append(f"turn {number}: markdown /{pattern.pattern}/")
        cards = set(_CARD_CODE.findall(text))
        asked_codes = set(listing_codes(ex.said))
        repeated = (cards & carded) - asked_codes
        if repeated:
            p.violations.append(f"turn {number}: card sent again unasked {sorted(repeated)}")
        carded |= cards
        for slot in filter(None, ex.asked):
            if ex.profile_before.get(slot) not in (None, "", []):
                p.violations.append(f"turn {number}: asked {slot}, already filled")
        questions = sum(reply.count("?") for reply in ex.replies)
        if questions > 1:
            p.violations.append(f"turn {number}: {questions} questions in one reply")
        if re.search(r"\b(?:parar|sair|pare de mandar|nao quero mais receber)\b", fold(ex.said)):
            opted_out = opted_out or any("não vai mais receber" in r for r in ex.replies)


_TRANSACTION = {"buy": "sale", "invest": "sale", "rent": "rent"}
_RELAXED = ("nao encontrei exatamente", "acima do seu orcamento", "um pouco acima dos")


def _check_hard_filters(p: Played, cards: Mapping[str, Property]) -> None:
    """Every card fits what the lead had said by then, or the reply says what was relaxed."""
    profiles = [ex.profile_before for ex in p.exchanges[1:]] + [p.profile]
    for number, (ex, profile) in enumerate(zip(p.exchanges, profiles, strict=True), 1):
        text = "\n".join(ex.replies)
        relaxed = any(cue in fold(text) for cue in _RELAXED)
        named = set(listing_codes(ex.said))  # a listing the lead asked about by code
        for code in _CARD_CODE.findall(text):
            prop = cards.get(code)
            if prop is None or code in named:
                continue
            for problem in _broken(prop, profile, relaxed=relaxed):
                p.violations.append(f"turn {number}: card {code} {problem}")


def _broken(prop: Property, profile: Mapping[str, Any], *, relaxed: bool) -> list[str]:
    found = []
    wanted = _TRANSACTION.get(str(profile.get("intent")))
    if wanted and prop.transaction != wanted:
        found.append(f"is {prop.transaction}, the lead wants {profile.get('intent')}")
    if profile.get("pets") is True and PETS_REFUSED in (prop.features or []):
        found.append("refuses pets")
    if relaxed:
        return found
    budget = profile.get("budget_max")
    fees = profile.get("rent_includes_fees") is True and prop.transaction == "rent"
    cost = prop.price + ((prop.condo_fee or 0) if fees else 0)
    if isinstance(budget, int) and cost > budget:
        found.append(f"costs {cost} over the budget {budget}, unsaid")
    bedrooms = profile.get("bedrooms")
    if (
        isinstance(bedrooms, int)
        and prop.bedrooms < bedrooms
        and prop.property_type
        not in (
            "commercial",
            "land",
        )
    ):
        found.append(f"has {prop.bedrooms} bedrooms, the lead wants {bedrooms}, unsaid")
    kind = profile.get("property_type")
    if kind and prop.property_type != kind:
        found.append(f"is {prop.property_type}, the lead wants {kind}, unsaid")
    return found
