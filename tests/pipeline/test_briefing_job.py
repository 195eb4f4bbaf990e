"""The morning briefing as the worker sends it: queued at the agency's hour once per manager and
day, delivered to a real SMTP server on 127.0.0.1, retried when refused, kept in the outbox (and
shown on its page) when the deployment has no SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.api.v1.factories import make_lead, make_user
from tests.fakes.providers import FakeGraphAPI
from tests.fakes.smtp import FakeSMTP
from tests.pipeline.harness import Stack, build_stack
from tests.pipeline.periodic import run_periodic
from vellarys.db.models import BriefingMessage, Channel, OutgoingEmail, Tenant
from vellarys.db.uow import unit_of_work

SP = ZoneInfo("America/Sao_Paulo")


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def smtp() -> Iterator[FakeSMTP]:
    with FakeSMTP() as server:
        yield server


@pytest.fixture
async def mail_stack(
    fresh_database: Callable[[], str], tmp_path: Path, graph: FakeGraphAPI, smtp: FakeSMTP
) -> AsyncIterator[Stack]:
    built = await build_stack(fresh_database(), tmp_path, graph, smtp_url=smtp.url)
    yield built
    await built.client.aclose()
    await built.container.aclose()


async def _agency(stack: Stack, *, hour: int) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        tenant = await session.get(Tenant, stack.tenant_id)
        assert tenant is not None
        tenant.settings = {**(tenant.settings or {}), "briefing_hour": hour}
        admin = await make_user(session, stack.tenant_id, role="admin", name="Gestora")
        admin.email = "gestora@imobiliaria.com.br"
        await make_user(session, stack.tenant_id, name="Corretor")  # brokers get none
        await make_lead(
            session,
            stack.tenant_id,
            name="Carla",
            temperature="hot",
            created_at=datetime(2026, 12, 1, 15, 0, tzinfo=SP),
            last_inbound_at=datetime(2026, 12, 1, 15, 5, tzinfo=SP),
        )


async def _emails(stack: Stack) -> list[OutgoingEmail]:
    async with unit_of_work(stack.container.sessions) as session:
        return list((await session.execute(select(OutgoingEmail))).scalars())


async def test_the_briefing_goes_at_the_agencys_hour_once_and_survives_a_refusal(
    mail_stack: Stack, smtp: FakeSMTP
) -> None:
    await _agency(mail_stack, hour=8)
    mail_stack.container.clock = FixedClock(datetime(2026, 12, 2, 7, 50, tzinfo=SP))
    assert await run_periodic(mail_stack, "send_briefings") == "succeeded"
    assert await _emails(mail_stack) == []  # not its hour yet

    smtp.refuse = True
    mail_stack.container.clock = FixedClock(datetime(2026, 12, 2, 8, 0, tzinfo=SP))
    assert await run_periodic(mail_stack, "send_briefings") == "succeeded"
    (waiting,) = await _emails(mail_stack)
    assert waiting.sent_at is None and waiting.attempts == 1 and "451" in (waiting.error or "")

    smtp.refuse = False
    mail_stack.container.clock = FixedClock(datetime(2026, 12, 2, 8, 10, tzinfo=SP))
    assert await run_periodic(mail_stack, "send_briefings") == "succeeded"
    (sent,) = await _emails(mail_stack)  # queued once, though the job ran twice in the hour
    assert sent.sent_at is not None and sent.error is None
    (message,) = smtp.received
    assert message["To"] == "gestora@imobiliaria.com.br"
    assert message["Subject"] == "Resumo da manhã — Imobiliária Teste (01/12)"
    body = message.get_content()
    assert "Leads quentes: 1" in body and "Carla" in body and "*" not in body


async def test_without_smtp_the_briefing_waits_in_the_outbox_page(
    stack: Stack, dashboard_login: Callable[..., object] | None = None
) -> None:
    await _agency(stack, hour=8)
    stack.container.clock = FixedClock(datetime(2026, 12, 2, 8, 5, tzinfo=SP))
    assert await run_periodic(stack, "send_briefings") == "succeeded"
    (kept,) = await _emails(stack)
    assert kept.sent_at is None and kept.attempts == 0


BRIEFING_TEMPLATE = {
    "name": "resumo_manha",
    "language": "pt_BR",
    "purpose": "briefing",
    "variables": ["agency", "text"],
}


async def _whatsapp_agency(stack: Stack) -> None:
    """WhatsApp only (e-mail off) at 08:00: the admin has not written to the number, the
    manager wrote two hours ago, a broker with a phone gets nothing."""
    async with unit_of_work(stack.container.sessions) as session:
        tenant = await session.get(Tenant, stack.tenant_id)
        assert tenant is not None
        tenant.settings = {**(tenant.settings or {}), "briefing_hour": 8,
                           "briefing_enabled": False, "briefing_whatsapp": True}  # fmt: skip
        for role, name, phone in (("admin", "Gestora", ADMIN_PHONE),
                                  ("manager", "Gerente", MANAGER_PHONE),
                                  ("broker", "Corretor", "+5511900000007")):  # fmt: skip
            user = await make_user(session, stack.tenant_id, role=role, name=name)
            user.phone = phone
        await make_lead(session, stack.tenant_id, phone=MANAGER_PHONE, name="Gerente",
                        last_inbound_at=datetime(2026, 12, 2, 6, 0, tzinfo=SP))  # fmt: skip
        channel = await session.get(Channel, stack.channel.id)
        assert channel is not None
        channel.templates = [BRIEFING_TEMPLATE]


ADMIN_PHONE, MANAGER_PHONE = "+5511900000009", "+5511900000008"


async def _briefings(stack: Stack) -> dict[str, tuple[str, str | None]]:
    async with unit_of_work(stack.container.sessions) as session:
        rows = (await session.execute(select(BriefingMessage))).scalars().all()
    return {f"{r.day:%d} {r.phone}": (r.status, r.error) for r in rows}


async def test_the_whatsapp_briefing_goes_once_as_text_in_the_window_and_as_template_outside(
    stack: Stack,
) -> None:
    await _whatsapp_agency(stack)
    stack.container.clock = FixedClock(datetime(2026, 12, 2, 8, 0, tzinfo=SP))
    assert await run_periodic(stack, "send_briefings") == "succeeded"
    await stack.drain()
    stack.container.clock = FixedClock(datetime(2026, 12, 2, 8, 10, tzinfo=SP))
    assert await run_periodic(stack, "send_briefings") == "succeeded"  # same hour: once a day
    await stack.drain()

    sent = {r.body["to"]: r.body for r in stack.graph.sent}
    assert len(stack.graph.sent) == 2 and set(sent) == {"5511900000009", "5511900000008"}
    inside = sent["5511900000008"]  # wrote two hours ago: free text, WhatsApp formatting kept
    assert inside["type"] == "text" and inside["text"]["body"].startswith(
        "*Bom dia! Resumo de 01/12"
    )
    outside = sent["5511900000009"]  # never wrote: only the approved template may go
    assert outside["type"] == "template" and outside["template"]["name"] == "resumo_manha"
    agency, text = [p["text"] for p in outside["template"]["components"][0]["parameters"]]
    assert agency == "Imobiliária Teste" and "Visitas hoje:* 0" in text and "\n" not in text
    assert await _briefings(stack) == {"02 " + ADMIN_PHONE: ("sent", None),
                                       "02 " + MANAGER_PHONE: ("sent", None)}  # fmt: skip
    assert await stack.scalar("SELECT count(*) FROM outgoing_emails") == 0  # e-mail is off

    async with unit_of_work(stack.container.sessions) as session:
        channel = await session.get(Channel, stack.channel.id)
        assert channel is not None
        channel.templates = []
    stack.container.clock = FixedClock(datetime(2026, 12, 3, 8, 0, tzinfo=SP))
    assert await run_periodic(stack, "send_briefings") == "succeeded"
    await stack.drain()
    assert len(stack.graph.sent) == 2  # next day, both outside the window, no template: nothing
    found = await _briefings(stack)
    assert found["03 " + ADMIN_PHONE][0] == found["03 " + MANAGER_PHONE][0] == "no_template"
