"""Drive a conversation through the real pipeline and read back what the lead received."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.pipeline.harness import Stack, meta_text
from vellarys.db.models import Handoff, Lead, Message, Property
from vellarys.db.uow import unit_of_work
from vellarys.domain.intent import listing_codes

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads" / "meta"


@dataclass
class Conversation:
    stack: Stack
    phone: str
    name: str = "Lead Teste"
    transcript: list[tuple[str, str]] = field(default_factory=list)
    asked: list[str | None] = field(default_factory=list)

    @property
    def e164(self) -> str:
        return "+" + self.phone

    async def say(self, text: str) -> list[str]:
        await self.stack.post(meta_text(text, phone=self.phone, name=self.name))
        return await self._replies(text)

    async def send_payload(self, name: str, label: str) -> list[str]:
        """Post a recorded Meta payload (audio, image...) as this lead."""
        payload: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
        value = payload["entry"][0]["changes"][0]["value"]
        value["metadata"]["phone_number_id"] = self.stack.channel.identity
        value["messages"][0]["from"] = self.phone
        value["messages"][0]["id"] = f"wamid.{label}.{self.phone}"
        value["messages"][0]["timestamp"] = str(int(time.time()))
        value.setdefault("contacts", [{"profile": {"name": self.name}, "wa_id": self.phone}])
        await self.stack.post(payload)
        return await self._replies(f"[{label}]")

    async def _replies(self, said: str) -> list[str]:
        await self.stack.drain()
        async with unit_of_work(self.stack.container.sessions) as session:
            lead = await self._lead(session)
            last_in = (
                await session.execute(
                    select(Message)
                    .where(Message.lead_id == lead.id, Message.direction == "inbound")
                    .order_by(Message.created_at.desc())
                    .limit(1)
                )
            ).scalar_one()
            replies = (
                (
                    await session.execute(
                        select(Message)
                        .where(
                            Message.lead_id == lead.id,
                            Message.direction == "outbound",
                            Message.created_at > last_in.created_at,
                        )
                        .order_by(Message.created_at)
                    )
                )
                .scalars()
                .all()
            )
        texts = [m.content for m in replies]
        self.transcript += [("lead", said)] + [("vellarys", t) for t in texts]
        self.asked += [m.media.get("asked") for m in replies if m.role == "assistant"][-1:]
        return texts

    async def _lead(self, session: Any) -> Lead:
        found = await session.execute(
            select(Lead).where(Lead.tenant_id == self.stack.tenant_id, Lead.phone == self.e164)
        )
        return found.scalar_one()

    async def lead(self) -> Lead:
        async with unit_of_work(self.stack.container.sessions) as session:
            return await self._lead(session)

    async def handoffs(self) -> list[Handoff]:
        async with unit_of_work(self.stack.container.sessions) as session:
            lead = await self._lead(session)
            found = await session.execute(select(Handoff).where(Handoff.lead_id == lead.id))
            return list(found.scalars())

    def text_since(self, mark: int = 0) -> str:
        return "\n".join(t for who, t in self.transcript[mark:] if who == "vellarys")

    async def mentioned_properties(self, since: int = 0) -> list[Property]:
        """Every listing the assistant named; each must exist in this agency."""
        said = {c for who, t in self.transcript if who == "lead" for c in listing_codes(t)}
        # A code the lead typed may be repeated back ("não encontrei o AP9999"); others must exist.
        codes = set(listing_codes(self.text_since(since))) - said
        async with unit_of_work(self.stack.container.sessions) as session:
            found = await session.execute(
                select(Property).where(
                    Property.tenant_id == self.stack.tenant_id, Property.code.in_(codes)
                )
            )
            rows = list(found.scalars())
        assert {p.code for p in rows} == codes, (
            f"invented listing codes: {codes - {p.code for p in rows}}"
        )
        return rows

    def assert_no_question_repeated_in_a_row(self) -> None:
        asked = [a for a in self.asked if a]
        repeats = [a for a, b in itertools.pairwise(asked) if a == b]
        assert not repeats, f"asked {repeats} twice in a row: {self.asked}"
