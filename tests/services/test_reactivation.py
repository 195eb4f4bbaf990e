"""Reactivation of leads idle for weeks: their search and what is new or cheaper since then."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.services.test_followups import PROFILE, agency, at, silent_lead
from vellarys.db.models import Property, Tenant
from vellarys.services import followups


def listing(tenant: Tenant, code: str, created: datetime, **values: object) -> Property:
    values.setdefault("price", 4000)
    values.setdefault("property_type", "apartment")
    return Property(
        tenant_id=tenant.id,
        code=code,
        title=f"Apartamento {code}",
        transaction="rent",
        bedrooms=2,
        neighborhood="Pinheiros",
        city="São Paulo",
        created_at=created,
        **values,
    )


async def reactivations(
    session: AsyncSession, tenant: Tenant, now: datetime
) -> list[followups.Planned]:
    found = await followups.plan(session, tenant=tenant, now=now, until=now)
    return [item for item in found if item.kind == "reactivation"]


async def test_idle_lead_gets_listings_newer_than_its_last_message(session: AsyncSession) -> None:
    tenant = await agency(
        session, follow_up_enabled=False, persona_name="Bia", agency_name="Casa Paulista"
    )
    talked = at(2026, 9, 1, 10)
    lead = await silent_lead(session, tenant, talked)
    session.add_all(
        [
            listing(tenant, "OLD-1", talked - timedelta(days=3)),  # seen before: not news
            listing(tenant, "NEW-1", talked + timedelta(days=10), price=3900),
            listing(tenant, "CUT-1", talked - timedelta(days=30), price=5000),
            listing(tenant, "HOUSE", talked + timedelta(days=5), property_type="house"),
        ]
    )
    await session.flush()
    # A price cut after the talk, recorded by the database trigger.
    await session.execute(update(Property).where(Property.code == "CUT-1").values(price=4500))
    await session.execute(
        update(Property)
        .where(Property.code == "CUT-1")
        .values(price_reduced_at=talked + timedelta(days=20))
    )
    await session.flush()

    assert await reactivations(session, tenant, at(2026, 10, 16, 9, 59)) == []  # 45 days minus
    [item] = await reactivations(session, tenant, at(2026, 10, 16, 10, 1))
    assert item.step == 1 and item.lead.id == lead.id
    assert "NEW-1" in item.text and "CUT-1" in item.text
    assert "OLD-1" not in item.text and "HOUSE" not in item.text
    assert "de ~R$ 5.000~ por *R$ 4.500/mês*" in item.text
    assert item.text.startswith("Oi, Ana! Aqui é a Bia, da Casa Paulista")
    assert item.text.count("?") == 1


async def test_at_most_twice_fifteen_days_apart(session: AsyncSession) -> None:
    tenant = await agency(session, follow_up_enabled=False)
    await silent_lead(session, tenant, at(2026, 9, 1, 10))
    sent = []
    for day in range(45, 90):
        now = at(2026, 9, 1, 11) + timedelta(days=day)
        sent += [
            (row.step, now.date())
            for row in await followups.send_due(session, tenant=tenant, now=now)
        ]
    assert [step for step, _ in sent] == [1, 2]
    assert (sent[1][1] - sent[0][1]).days >= 15


async def test_no_listings_still_asks_one_easy_question(session: AsyncSession) -> None:
    tenant = await agency(session, follow_up_enabled=False)
    lead = await silent_lead(session, tenant, at(2026, 9, 1, 10))
    lead.custom_data = {}
    await session.flush()
    [item] = await reactivations(session, tenant, at(2026, 10, 20, 10))
    assert "*um imóvel*" in item.text and item.text.endswith("opções novas para você?")
    assert PROFILE  # the shared profile is untouched
    assert Decimal(1)
