"""A stack with one broker, one listing and a clock the test moves; the lead talks through
the Meta webhook, and what the lead and the broker received is read back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from tests.pipeline.harness import Stack, meta_text
from vellarys.db.models import Channel, Lead, Message, Property, User
from vellarys.db.uow import unit_of_work
from vellarys.domain.business_hours import DAYS, BusinessHours, is_holiday
from vellarys.services import availability

BROKER_PHONE = "+5511974415522"
TEMPLATES = [
    {"name": "aviso_corretor", "language": "pt_BR", "purpose": "broker_notice", "variables": ["text"]},
    {"name": "lembrete_visita", "language": "pt_BR", "purpose": "visit_reminder",
     "variables": ["lead_name", "text"]},
]  # fmt: skip


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current


def use_clock(stack: Stack, clock: MovableClock) -> None:
    stack.container.clock = clock
    stack.container.pipeline = replace(stack.container.pipeline, clock=clock)


async def add_broker(
    stack: Stack, name: str = "Marcos Toledo", phone: str = BROKER_PHONE
) -> uuid.UUID:
    async with unit_of_work(stack.container.sessions) as session:
        broker = User(
            tenant_id=stack.tenant_id,
            email=f"{uuid.uuid4().hex[:8]}@corretor.local",
            name=name,
            role="broker",
            password_hash="x",
            phone=phone,
        )
        session.add(broker)
        await session.flush()
        days = {day: "09:00-18:00" for day in DAYS}
        await availability.set_week(
            session, tenant_id=stack.tenant_id, user_id=broker.id, days=days
        )
        return broker.id


async def add_listing(stack: Stack, code: str = "AP1501") -> None:
    async with unit_of_work(stack.container.sessions) as session:
        session.add(
            Property(
                tenant_id=stack.tenant_id,
                code=code,
                title="Apartamento de 3 quartos em Moema",
                property_type="apartment",
                transaction="sale",
                price=950000,
                bedrooms=3,
                neighborhood="Moema",
                city="São Paulo",
                address="Rua Canário, 120",
            )
        )
        await session.execute(
            update(Channel).where(Channel.id == stack.channel.id).values(templates=TEMPLATES)
        )


def visit_day(now: datetime, *, after_days: int = 3) -> date:
    """A working day (no national holiday) at least ``after_days`` ahead."""
    hours = BusinessHours(week=((),) * 7)
    day = now.date() + timedelta(days=after_days)
    while is_holiday(hours, day):
        day += timedelta(days=1)
    return day


@dataclass
class Lead_:
    stack: Stack
    clock: MovableClock
    phone: str
    transcript: list[str] = field(default_factory=list)
    profile_name: str = "Ana Souza"

    async def say(self, text: str) -> list[str]:
        stamp = int(self.clock.now().timestamp())
        await self.stack.post(
            meta_text(text, phone=self.phone, timestamp=stamp, name=self.profile_name)
        )
        # The answer's job is scheduled by the test's clock, which may run ahead of the
        # database's: it is due now.
        await self.stack.scalar(
            "UPDATE procrastinate_jobs SET scheduled_at = NULL WHERE status = 'todo' "
            "AND task_name = 'vellarys:handle_inbound' RETURNING 1"
        )
        await self.stack.drain()
        lead = await self.lead()
        async with unit_of_work(self.stack.container.sessions) as session:
            found = await session.execute(
                select(Message)
                .where(Message.lead_id == lead.id)
                .order_by(Message.created_at, Message.id)
            )
            messages = list(found.scalars())
        last_in = max(i for i, m in enumerate(messages) if m.direction == "inbound")
        replies = [m.content for m in messages[last_in + 1 :] if m.direction == "outbound"]
        self.transcript += [f"👤 {text}"] + [f"🤖 {r}" for r in replies]
        return replies

    async def lead(self) -> Lead:
        found = await self.stack.lead("+" + self.phone)
        assert found is not None
        return found


def sent_to(stack: Stack, phone: str, since: int = 0) -> list[dict[str, Any]]:
    """What the fake Graph API got for ``phone`` (E.164 without '+'), as JSON bodies."""
    return [r.body for r in stack.graph.sent[since:] if r.body.get("to") == phone.lstrip("+")]


def template_text(body: dict[str, Any]) -> str:
    return " ".join(p["text"] for p in body["template"]["components"][0]["parameters"])
