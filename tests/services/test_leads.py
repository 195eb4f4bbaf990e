"""The leads list shared by the dashboard and the API: filters, visibility, sorts, pages, CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable, Select

from tests.api.v1.factories import make_channel, make_lead, make_tenant, make_user
from vellarys.db.models import Lead
from vellarys.db.queries import lead_search
from vellarys.errors import BadRequest, NotFound
from vellarys.services.audit import Actor
from vellarys.services.lead_acts import assign_lead, change_stage
from vellarys.services.leads import (
    LeadFilters,
    export_csv,
    get_lead,
    search_leads,
)


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(Explain)
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN " + str(compiler.process(element.statement, **kw))


async def _names(
    session: AsyncSession, tenant_id: uuid.UUID, filters: LeadFilters, **kwargs: object
) -> list[str | None]:
    found = await search_leads(session, tenant_id=tenant_id, filters=filters, **kwargs)  # type: ignore[arg-type]
    return sorted((lead.name for lead in found.items), key=str)


@pytest.fixture
async def agency(session: AsyncSession) -> uuid.UUID:
    tenant = await make_tenant(session)
    return tenant.id


async def test_each_column_filter_narrows_the_list(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    broker = await make_user(session, agency)
    channel = await make_channel(session, agency)
    await make_lead(
        session,
        agency,
        name="Ana",
        stage="qualified",
        temperature="hot",
        assigned_user_id=broker.id,
        channel_id=channel.id,
    )
    await make_lead(session, agency, name="Bruno", stage="new", temperature="cold")

    assert await _names(session, agency, LeadFilters(stage="qualified")) == ["Ana"]
    assert await _names(session, agency, LeadFilters(temperature="cold")) == ["Bruno"]
    assert await _names(session, agency, LeadFilters(assigned_user_id=broker.id)) == ["Ana"]
    assert await _names(session, agency, LeadFilters(assigned_user_id="unassigned")) == ["Bruno"]
    assert await _names(session, agency, LeadFilters(channel_id=channel.id)) == ["Ana"]
    assert await _names(session, agency, LeadFilters()) == ["Ana", "Bruno"]


async def test_text_matches_part_of_the_name_or_of_the_phone(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    await make_lead(session, agency, name="Mariana Souza", phone="+5511987654321")
    await make_lead(session, agency, name="Pedro 100%", phone="+5521912345678")

    assert await _names(session, agency, LeadFilters(text="souza")) == ["Mariana Souza"]
    assert await _names(session, agency, LeadFilters(text="98765-4321")) == ["Mariana Souza"]
    assert await _names(session, agency, LeadFilters(text="100%")) == ["Pedro 100%"]
    # "%" is taken literally, not as "anything".
    assert await _names(session, agency, LeadFilters(text="%")) == ["Pedro 100%"]


async def test_created_dates_are_agency_days_with_both_ends_included(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    # 01:00 UTC on March 11 is still March 10 in São Paulo (UTC-3).
    await make_lead(session, agency, name="Late", created_at=datetime(2025, 3, 11, 1, tzinfo=UTC))
    await make_lead(session, agency, name="Noon", created_at=datetime(2025, 3, 11, 15, tzinfo=UTC))

    on_10th = LeadFilters(created_from=date(2025, 3, 10), created_to=date(2025, 3, 10))
    assert await _names(session, agency, on_10th) == ["Late"]
    assert await _names(session, agency, LeadFilters(created_from=date(2025, 3, 11))) == ["Noon"]
    assert await _names(session, agency, LeadFilters(created_to=date(2025, 3, 11))) == [
        "Late",
        "Noon",
    ]


async def test_neighborhood_matches_one_of_the_profile_neighborhoods(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    await make_lead(
        session,
        agency,
        name="Moema e Vila",
        custom_data={"neighborhoods": ["Moema", "Vila Mariana"], "intent": "buy"},
    )
    await make_lead(session, agency, name="Pinheiros", custom_data={"neighborhoods": ["Pinheiros"]})

    assert await _names(session, agency, LeadFilters(neighborhood="Vila Mariana")) == [
        "Moema e Vila"
    ]
    assert await _names(session, agency, LeadFilters(neighborhood="Vila")) == []


async def test_intent_type_and_city_filter_on_the_profile(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    await make_lead(
        session,
        agency,
        name="Compra",
        custom_data={"intent": "buy", "property_type": "apartment", "city": "São Paulo"},
    )
    await make_lead(
        session,
        agency,
        name="Aluga",
        custom_data={"intent": "rent", "property_type": "house", "city": "Curitiba"},
    )

    assert await _names(session, agency, LeadFilters(intent="rent")) == ["Aluga"]
    assert await _names(session, agency, LeadFilters(property_type="apartment")) == ["Compra"]
    assert await _names(session, agency, LeadFilters(city="Curitiba")) == ["Aluga"]
    both = LeadFilters(intent="buy", city="Curitiba")
    assert await _names(session, agency, both) == []


async def test_budget_range_bounds_the_profile_budget_max(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    await make_lead(session, agency, name="500k", custom_data={"budget_max": 500_000})
    await make_lead(session, agency, name="900k", custom_data={"budget_max": 900_000})
    await make_lead(session, agency, name="no budget", custom_data={})
    await make_lead(session, agency, name="garbled", custom_data={"budget_max": "muito"})

    assert await _names(session, agency, LeadFilters(budget_min=600_000)) == ["900k"]
    assert await _names(session, agency, LeadFilters(budget_max=600_000)) == ["500k"]
    window = LeadFilters(budget_min=500_000, budget_max=900_000)
    assert await _names(session, agency, window) == ["500k", "900k"]


async def test_custom_filter_matches_any_profile_key_as_text_number_or_list_element(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    await make_lead(
        session,
        agency,
        name="FGTS 3q",
        custom_data={"payment": ["financing", "fgts"], "bedrooms": 3, "timeline": "3 meses"},
    )
    await make_lead(
        session, agency, name="Cash 2q", custom_data={"payment": ["cash"], "bedrooms": 2}
    )

    assert await _names(session, agency, LeadFilters(custom={"payment": "fgts"})) == ["FGTS 3q"]
    assert await _names(session, agency, LeadFilters(custom={"bedrooms": "2"})) == ["Cash 2q"]
    assert await _names(session, agency, LeadFilters(custom={"timeline": "3 meses"})) == ["FGTS 3q"]
    two = LeadFilters(custom={"payment": "cash", "bedrooms": "3"})
    assert await _names(session, agency, two) == []


async def test_profile_filters_can_use_the_gin_index(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    await make_lead(session, agency, name="x", custom_data={"neighborhoods": ["Moema"]})
    filters = LeadFilters(neighborhood="Moema", intent="buy", custom={"bedrooms": "3"})
    for condition in lead_search.profile_conditions(filters):
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = await session.execute(Explain(select(Lead.id).where(condition)))
        assert "ix_leads_custom_data_gin" in "\n".join(row[0] for row in plan)


async def test_a_broker_sees_their_leads_and_the_unassigned_queue_only(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    me, colleague = await make_user(session, agency), await make_user(session, agency)
    await make_lead(session, agency, name="mine", assigned_user_id=me.id)
    await make_lead(session, agency, name="queue")
    theirs = await make_lead(session, agency, name="theirs", assigned_user_id=colleague.id)

    assert await _names(session, agency, LeadFilters(), visible_to=me.id) == ["mine", "queue"]
    with pytest.raises(NotFound):
        await get_lead(session, tenant_id=agency, lead_id=theirs.id, visible_to=me.id)
    everyone = await _names(session, agency, LeadFilters())
    assert everyone == ["mine", "queue", "theirs"]


async def test_another_agencys_leads_never_appear(session: AsyncSession, agency: uuid.UUID) -> None:
    other = await make_tenant(session)
    foreign = await make_lead(session, other.id, name="foreign", custom_data={"intent": "buy"})
    await make_lead(session, agency, name="ours")

    assert await _names(session, agency, LeadFilters()) == ["ours"]
    assert await _names(session, agency, LeadFilters(intent="buy")) == []
    with pytest.raises(NotFound):
        await get_lead(session, tenant_id=agency, lead_id=foreign.id)


async def test_sorts_and_pages_report_the_total(session: AsyncSession, agency: uuid.UUID) -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for i, name in enumerate(["carla", "Bia", "ana"]):
        await make_lead(
            session,
            agency,
            name=name,
            score=10 * i,
            created_at=base + timedelta(days=i),
            last_message_at=base + timedelta(days=10 - i),
        )

    async def order(sort: str) -> list[str | None]:
        found = await search_leads(session, tenant_id=agency, filters=LeadFilters(), sort=sort)
        return [lead.name for lead in found.items]

    assert await order("newest") == ["ana", "Bia", "carla"]
    assert await order("last_message") == ["carla", "Bia", "ana"]
    assert await order("score") == ["ana", "Bia", "carla"]
    assert await order("name") == ["ana", "Bia", "carla"]

    second = await search_leads(
        session, tenant_id=agency, filters=LeadFilters(), page=2, per_page=2
    )
    assert [lead.name for lead in second.items] == ["carla"]
    assert (second.total, second.page, second.per_page, second.pages) == (3, 2, 2, 2)
    beyond = await search_leads(
        session, tenant_id=agency, filters=LeadFilters(), page=9, per_page=2
    )
    assert beyond.items == [] and beyond.total == 3


async def test_bad_sort_stage_or_page_is_a_clear_bad_request(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    cases: list[dict[str, object]] = [
        {"sort": "oldest"},
        {"filters": LeadFilters(stage="sold")},
        {"page": 0},
        {"per_page": 101},
        {"filters": LeadFilters(budget_min=10, budget_max=5)},
    ]
    for case in cases:
        kwargs: dict[str, object] = {"filters": LeadFilters(), **case}
        with pytest.raises(BadRequest):
            await search_leads(session, tenant_id=agency, **kwargs)  # type: ignore[arg-type]


async def test_erased_leads_are_left_out_of_the_list(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    await make_lead(session, agency, name=None, erased_at=datetime.now(UTC))
    await make_lead(session, agency, name="kept")
    assert await _names(session, agency, LeadFilters()) == ["kept"]


async def test_stage_and_assignee_changes_of_the_same_agency(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    broker = await make_user(session, agency)
    lead = await make_lead(session, agency, name="x")
    actor = Actor(tenant_id=agency)

    await change_stage(session, actor, lead_id=lead.id, stage="qualified")
    await assign_lead(session, actor, lead_id=lead.id, user_id=broker.id)
    assert (lead.stage, lead.assigned_user_id) == ("qualified", broker.id)
    await assign_lead(session, actor, lead_id=lead.id, user_id=None)
    assert (lead.stage, lead.assigned_user_id) == ("qualified", None)


async def test_assigning_refuses_foreign_or_inactive_users_and_stages_must_be_known(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    other = await make_tenant(session)
    foreign = await make_user(session, other.id)
    inactive = await make_user(session, agency, active=False)
    lead = await make_lead(session, agency, name="x", stage="new")
    actor = Actor(tenant_id=agency)

    for user_id in (foreign.id, inactive.id, uuid.uuid4()):
        with pytest.raises(BadRequest):
            await assign_lead(session, actor, lead_id=lead.id, user_id=user_id)
    with pytest.raises(BadRequest):
        await change_stage(session, actor, lead_id=lead.id, stage="closed")
    assert (lead.stage, lead.assigned_user_id) == ("new", None)


async def test_acts_on_another_agencys_lead_are_not_found(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    other = await make_tenant(session)
    foreign = await make_lead(session, other.id, name="x", stage="new")
    with pytest.raises(NotFound):
        await change_stage(session, Actor(tenant_id=agency), lead_id=foreign.id, stage="lost")
    assert foreign.stage == "new"


async def test_csv_export_has_the_filtered_leads_and_defuses_formulas(
    session: AsyncSession, agency: uuid.UUID
) -> None:
    broker = await make_user(session, agency, name="Carlos")
    profile = {"neighborhoods": ["Moema", "Centro"], "budget_max": 700_000}
    await make_lead(
        session,
        agency,
        name='=HYPERLINK("x")',
        phone="+5511999990000",
        assigned_user_id=broker.id,
        custom_data=profile,
    )
    await make_lead(session, agency, name="Outro", custom_data={"neighborhoods": ["Lapa"]})

    exported = await export_csv(
        session, Actor(tenant_id=agency), filters=LeadFilters(neighborhood="Moema")
    )
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 1
    row = rows[0]
    assert row["nome"] == '\'=HYPERLINK("x")'
    assert row["telefone"] == "+5511999990000"
    assert row["bairros"] == "Moema; Centro"
    assert row["orcamento_max"] == "700000"
    assert row["corretor"] == "Carlos"


async def test_lead_page_names_the_assigned_users(session: AsyncSession, agency: uuid.UUID) -> None:
    broker = await make_user(session, agency, name="Carlos")
    lead: Lead = await make_lead(session, agency, name="x", assigned_user_id=broker.id)
    found = await search_leads(session, tenant_id=agency, filters=LeadFilters())
    assert found.assignee_names == {broker.id: "Carlos"}
    assert found.items[0].id == lead.id
