"""The manager's morning briefing for a fixed clock and data set, and the operator's usage
figures; both also as the commands print them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import (
    make_handoff,
    make_lead,
    make_message,
    make_tenant,
    make_user,
)
from tests.cli_in_process import Ran, run_cli
from tests.test_cli import _env
from vellarys.db.models import LlmUsage, Tenant, User, Visit
from vellarys.domain.briefing import as_dict, render
from vellarys.services import briefing, tenant_usage

SP = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=SP)  # a Wednesday morning
YESTERDAY = datetime(2026, 12, 1, 10, 0, tzinfo=SP)


async def _agency(session: AsyncSession) -> Tenant:
    """Yesterday: three new leads (one hot, answered by the assistant in 4 s and 10 s), two
    handoffs answered by Ana in 5 min and by Bruno in 2 h, one still waiting for Bruno; the day
    before, a lead that must not count."""
    tenant = await make_tenant(session)
    tenant.name = "Casa Paulista Imóveis"
    ana = await make_user(session, tenant.id, name="Ana Souza")
    bruno = await make_user(session, tenant.id, name="Bruno Lima")
    hot = await make_lead(
        session,
        tenant.id,
        name="Carla",
        phone="+5511911110001",
        temperature="hot",
        created_at=YESTERDAY,
        last_inbound_at=YESTERDAY + timedelta(hours=1),
        first_response_seconds=4.0,
        custom_data={"neighborhoods": ["Pinheiros"], "budget_max": 800000},
    )
    warm = await make_lead(
        session, tenant.id, name="Diego", created_at=YESTERDAY, first_response_seconds=10.0
    )
    waiting = await make_lead(session, tenant.id, name="Elisa", created_at=YESTERDAY)
    await make_lead(session, tenant.id, name="Antigo", created_at=YESTERDAY - timedelta(days=1))
    for lead, broker, minutes in ((hot, ana, 5), (warm, bruno, 120)):
        await make_handoff(session, lead, user_id=broker.id, created_at=YESTERDAY)
        await make_message(
            session,
            lead,
            "Oi, aqui é do time!",
            role="broker",
            created_at=YESTERDAY + timedelta(minutes=minutes),
        )
    await make_handoff(session, waiting, user_id=bruno.id, created_at=YESTERDAY)
    session.add(LlmUsage(tenant_id=tenant.id, day=YESTERDAY.date(), prompt_tokens=900))
    await session.flush()
    return tenant


async def _visits_today(session: AsyncSession, tenant: Tenant, other: Tenant) -> None:
    """Today: Carla at 14:30 with Ana; a cancelled visit, tomorrow's and another agency's
    stay out."""
    ana = (
        await session.execute(
            select(User).where(User.tenant_id == tenant.id, User.name == "Ana Souza")
        )
    ).scalar_one()
    carla = await make_lead(session, tenant.id, name="Carla", phone="+5511911110009")
    stranger = await make_lead(session, other.id, name="Estranho")
    today = datetime(2026, 12, 2, 14, 30, tzinfo=SP)
    for lead, starts, status in (
        (carla, today, "scheduled"),
        (carla, today - timedelta(hours=3), "cancelled"),
        (carla, today + timedelta(days=1), "confirmed"),
        (stranger, today, "scheduled"),
    ):
        session.add(
            Visit(
                tenant_id=lead.tenant_id,
                lead_id=lead.id,
                user_id=ana.id if lead is carla else None,
                property_code="AP-101",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
                status=status,
            )
        )
    await session.flush()


async def test_the_briefing_has_every_section_for_yesterday(session: AsyncSession) -> None:
    tenant = await _agency(session)
    other = await make_tenant(session)  # another agency's lead stays out
    await make_lead(session, other.id, temperature="hot", created_at=YESTERDAY)
    await _visits_today(session, tenant, other)

    made = await briefing.build(session, tenant, now=NOW)
    shown = as_dict(made)

    assert shown["day"] == "2026-12-01" and shown["new_leads"] == 3
    assert shown["hot_leads"] == [
        {"name": "Carla", "phone": "+5511911110001", "detail": "Pinheiros · até R$ 800.000"}
    ]
    assert [w["name"] for w in shown["waiting_for_broker"]] == ["Elisa"]
    assert shown["waiting_for_broker"][0]["detail"] == "com Bruno Lima"
    assert shown["first_response_median_seconds"] == 7.0
    assert shown["best_broker"]["name"] == "Ana Souza"
    assert shown["best_broker"]["median_minutes"] == 5.0
    assert shown["slowest_broker"] == {"name": "Bruno Lima", "handoffs": 2, "median_minutes": 120.0}
    assert shown["visits_today"] == [
        {"name": "Carla", "phone": "+5511911110009", "detail": "14:30 com Ana Souza · AP-101"}
    ]
    text = render(made)
    assert text.startswith("*Bom dia! Resumo de 01/12 — Casa Paulista Imóveis*")
    for line in (
        "*Novos leads:* 3",
        "• Carla (+5511911110001) — Pinheiros · até R$ 800.000",
        "*Aguardando corretor:* 1",
        "• Elisa (",
        "(mediana):* menos de 1 min",
        "• Mais rápido: Ana Souza — 5 min",
        "• Mais lento: Bruno Lima — 2 h",
        "*Visitas hoje:* 1",
        "• Carla (+5511911110009) — 14:30 com Ana Souza · AP-101",
    ):
        assert line in text, line
    assert "**" not in text and "#" not in text  # WhatsApp formatting only


async def test_a_quiet_day_says_so_without_inventing_a_ranking(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    text = render(await briefing.build(session, tenant, now=NOW))
    assert "*Novos leads:* 0" in text and "ninguém esperando" in text
    assert "Mais rápido" not in text and "mediana" not in text


async def test_usage_counts_this_months_figures_per_agency(session: AsyncSession) -> None:
    tenant = await _agency(session)
    await make_tenant(session)
    rows = await tenant_usage.this_month(session, now=NOW, slug=tenant.slug)
    assert rows == [
        {
            "month": "2026-12",
            "slug": tenant.slug,
            "name": "Casa Paulista Imóveis",
            "leads": 3,  # the lead of 30 November is last month's
            "messages_in": 0,
            "messages_out": 2,
            "llm_tokens": 900,
            "brokers": 2,
            "storage_bytes": 0,
        }
    ]
    everyone = await tenant_usage.this_month(session, now=NOW)
    assert tenant.slug in {row["slug"] for row in everyone} and len(everyone) >= 2


def test_the_commands_print_real_figures(empty_database: str) -> None:
    env = _env(VELLARYS_DATABASE_URL=empty_database)

    def run(*args: str) -> Ran:
        return run_cli(env, *args)  # in-process: tests/cli_in_process.py

    assert run("migrate").returncode == 0
    assert run("tenant", "create", "--slug", "casa", "--name", "Casa Nova").returncode == 0
    broker = ("--tenant", "casa", "--email", "ana@casa.com.br", "--password", "segredo-123")
    assert run("user", "create", *broker).returncode == 0
    chat = run("chat", "--tenant", "casa", "--phone", "+5511955550000", "quero alugar em Pinheiros")
    assert chat.returncode == 0, chat.stderr
    tomorrow = (datetime.now(SP) + timedelta(days=1)).isoformat()
    shown = run("briefing", "preview", "--tenant", "casa", "--at", tomorrow, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["new_leads"] == 1
    assert run("briefing", "preview", "--tenant", "casa").stdout.startswith("*Bom dia!")
    usage = run("tenant", "usage", "--json")
    assert usage.returncode == 0, usage.stderr
    (casa,) = json.loads(usage.stdout)
    assert (casa["slug"], casa["leads"], casa["messages_in"], casa["brokers"]) == ("casa", 1, 1, 1)
    assert casa["messages_out"] >= 1
    missing = run("tenant", "usage", "--tenant", "nope")
    assert missing.returncode == 1 and "nope" in missing.stderr
