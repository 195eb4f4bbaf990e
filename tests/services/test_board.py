"""The sales board's acts on the real database: routing at handoff, manual assignment,
opportunities, lead editing and import, stages with loss reasons, the lead's timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_tenant, make_user
from vellarys.db.models import Lead, Property, User
from vellarys.errors import BadRequest, NotFound
from vellarys.services import lead_entry, opportunities, timeline
from vellarys.services.audit import Actor
from vellarys.services.deps import PipelineDeps
from vellarys.services.handoff import hand_off
from vellarys.services.lead_acts import assign_lead, change_stage

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # a Tuesday, 11:00 in São Paulo


class Clock:
    def now(self) -> datetime:
        return NOW


def _deps() -> PipelineDeps:
    return PipelineDeps(provider_for=lambda channel: None, clock=Clock())  # type: ignore[arg-type,return-value]


async def _listing(
    session: AsyncSession, tenant_id: uuid.UUID, code: str, **values: Any
) -> Property:
    values = {"neighborhood": "Pinheiros", "city": "São Paulo", "price": 800000, **values}
    prop = Property(tenant_id=tenant_id, code=code, title=f"Apto {code}", property_type="apartment",
                    transaction="sale", **values)  # fmt: skip
    session.add(prop)
    await session.flush()
    return prop


async def _scalar(session: AsyncSession, sql: str, **params: Any) -> Any:
    return (await session.execute(text(sql), params)).scalar()


async def _routed(session: AsyncSession, tenant_id: uuid.UUID, codes: list[str]) -> User | None:
    lead = await make_lead(session, tenant_id, custom_data={"intent": "buy"})
    _, broker = await hand_off(session, _deps(), lead=lead, reason="hot", history=[],
                               property_codes=codes)  # fmt: skip
    return broker


async def test_handoffs_go_to_the_listing_broker_then_area_under_the_cap_then_the_manager(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    owner = await make_user(session, tenant.id, name="Dono")
    ana = await make_user(session, tenant.id, name="Ana")
    away = await make_user(session, tenant.id, name="Bia")
    manager = await make_user(session, tenant.id, role="manager", name="Gerente")
    owner.daily_lead_cap, owner.last_assigned_at = 1, NOW  # last in the round robin
    ana.areas = {"neighborhoods": ["Pinheiros"]}
    away.areas, away.vacation_from = {"neighborhoods": ["Pinheiros"]}, date(2026, 11, 25)
    await _listing(session, tenant.id, "P1", broker_id=owner.id)
    await _listing(session, tenant.id, "M1", neighborhood="Moema")

    assert await _routed(session, tenant.id, ["P1"]) == owner  # the listing's own broker
    assert await _routed(session, tenant.id, ["P1"]) == ana  # owner at the cap; area next
    ana.available = False
    # Nobody left who takes leads: the owner is at the cap, Bia on vacation, Ana unavailable.
    assert await _routed(session, tenant.id, ["M1"]) == manager
    handed = "SELECT count(*) FROM audit_log WHERE tenant_id = :t AND action = 'lead.handed_off'"
    assert await _scalar(session, handed, t=tenant.id) == 3
    got = "SELECT count(*) FROM handoffs WHERE user_id = :u"
    assert await _scalar(session, got, u=away.id) == 0


async def test_a_manual_assignment_tells_the_new_broker_and_vacation_is_refused(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    admin = await make_user(session, tenant.id, role="admin")
    ana = await make_user(session, tenant.id, name="Ana")
    away = await make_user(session, tenant.id, name="Bia")
    away.vacation_from, away.vacation_until = date(2026, 11, 30), date(2026, 12, 2)
    lead = await make_lead(session, tenant.id, name="Carla")
    actor = Actor(tenant_id=tenant.id, user_id=admin.id)

    await assign_lead(session, actor, lead_id=lead.id, user_id=ana.id, now=NOW)
    manual = (
        "SELECT count(*) FROM handoffs WHERE lead_id = :l AND user_id = :u AND reason = 'manual'"
    )
    assert await _scalar(session, manual, l=lead.id, u=ana.id) == 1
    jobs = ("SELECT count(*) FROM procrastinate_jobs WHERE task_name LIKE '%notify_broker' "
            "AND args->>'handoff_id' IN (SELECT id::text FROM handoffs WHERE lead_id = :l)")  # fmt: skip
    assert await _scalar(session, jobs, l=lead.id) == 1
    with pytest.raises(BadRequest, match="férias"):
        await assign_lead(session, actor, lead_id=lead.id, user_id=away.id, now=NOW)
    assert lead.assigned_user_id == ana.id


async def test_opportunities_open_once_move_forward_only_and_open_on_a_second_question(
    session: AsyncSession,
) -> None:
    tenant, other = await make_tenant(session), await make_tenant(session)
    lead = await make_lead(session, tenant.id)
    listing = await _listing(session, tenant.id, "CP-1")
    foreign = await _listing(session, other.id, "CP-1")

    first = await opportunities.open_opportunity(session, tenant.id, lead.id, listing.id, "new")
    again = await opportunities.open_opportunity(session, tenant.id, lead.id, listing.id, "visit")
    assert again.id == first.id and again.stage == "visit" and again.value == Decimal("800000")
    back = await opportunities.open_opportunity(session, tenant.id, lead.id, listing.id, "new")
    assert back.stage == "visit"  # never backwards
    with pytest.raises(NotFound):
        await opportunities.open_opportunity(session, tenant.id, lead.id, foreign.id)

    second = await _listing(session, tenant.id, "CP-2")
    assert await opportunities.note_listing_asks(session, lead=lead, codes=["CP-2"]) == 0
    assert await opportunities.note_listing_asks(session, lead=lead, codes=["CP-2"]) == 1
    assert await opportunities.note_listing_asks(session, lead=lead, codes=["CP-2"]) == 0
    count = "SELECT count(*) FROM opportunities WHERE lead_id = :l AND property_id = :p"
    assert await _scalar(session, count, l=lead.id, p=second.id) == 1


async def test_staff_update_a_deal_and_losing_it_needs_a_listed_reason(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    broker = await make_user(session, tenant.id)
    lead = await make_lead(session, tenant.id, assigned_user_id=broker.id)
    await _listing(session, tenant.id, "CP-9")
    actor = Actor(tenant_id=tenant.id, user_id=broker.id, admin=False)
    deal = await opportunities.open_for_code(session, actor, lead_id=lead.id, code="CP-9")
    changed = await opportunities.update_opportunity(
        session, actor, opportunity_id=deal.id, now=NOW,
        fields={"stage": "won", "value": "750.000,00", "commission": "37500",
                "expected_close": "2026-12-20"},
    )  # fmt: skip
    assert (changed.value, changed.commission, changed.closed_at) == (
        Decimal("750000.00"), Decimal("37500.00"), NOW)  # fmt: skip
    for fields in ({"stage": "lost"}, {"stage": "lost", "loss_reason": "Não gostei"},
                   {"value": "-5"}, {"expected_close": "amanhã"}):  # fmt: skip
        with pytest.raises(BadRequest):
            await opportunities.update_opportunity(
                session, actor, opportunity_id=deal.id, fields=fields, now=NOW
            )
    assert deal.stage == "won"
    outsider = Actor(tenant_id=tenant.id, user_id=(await make_user(session, tenant.id)).id,
                     admin=False)  # fmt: skip
    with pytest.raises(NotFound):  # another broker's lead: not theirs to change
        await opportunities.update_opportunity(
            session, outsider, opportunity_id=deal.id, fields={"stage": "new"}, now=NOW
        )


async def test_a_lost_stage_needs_one_of_the_agencys_reasons(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    tenant.settings = {"loss_reasons": ["Preço", "Sumiu"]}
    lead = await make_lead(session, tenant.id)
    actor = Actor(tenant_id=tenant.id)
    for reason in (None, "Outro motivo"):
        with pytest.raises(BadRequest):
            await change_stage(session, actor, lead_id=lead.id, stage="lost", loss_reason=reason)
    assert lead.stage == "new"
    await change_stage(session, actor, lead_id=lead.id, stage="lost", loss_reason="Sumiu")
    assert (lead.stage, lead.loss_reason) == ("lost", "Sumiu")
    await change_stage(session, actor, lead_id=lead.id, stage="qualified")
    assert lead.loss_reason is None


async def test_editing_a_lead_checks_the_profile_schema_before_writing(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    lead = await make_lead(session, tenant.id, name="Ana", custom_data={"city": "São Paulo"})
    editor = await make_user(session, tenant.id, role="manager", name="Gerente Gil")
    actor = Actor(tenant_id=tenant.id, user_id=editor.id)
    bad = {"name": "Ana Souza", "bedrooms": "muitos", "intent": "comprar casa", "tags": "vip"}
    with pytest.raises(lead_entry.InvalidLead) as refused:
        await lead_entry.edit_lead(session, actor, lead_id=lead.id, fields=bad)
    assert refused.value.status_code == 422 and len(refused.value.errors) == 2
    assert (lead.name, lead.tags, lead.custom_data) == ("Ana", [], {"city": "São Paulo"})

    good = {"name": "Ana Souza", "email": "ANA@Exemplo.com", "bedrooms": "3",
            "neighborhoods": "Pinheiros, Lapa", "budget_max": "800 mil", "city": "São Paulo",
            "tags": "vip, investidor", "stage": "qualified"}  # fmt: skip
    await lead_entry.edit_lead(session, actor, lead_id=lead.id, fields=good)
    assert lead.name == "Ana Souza" and lead.tags == ["vip", "investidor"]
    assert lead.stage == "qualified"
    assert {k: lead.custom_data[k] for k in ("email", "bedrooms", "neighborhoods", "budget_max")} == {
        "email": "ana@exemplo.com", "bedrooms": 3, "neighborhoods": ["Pinheiros", "Lapa"],
        "budget_max": 800000}  # fmt: skip
    events = await timeline.lead_timeline(session, actor, lead_id=lead.id)
    assert [e.action for e in events] == ["lead.stage_changed", "lead.edited"]
    assert {e.who for e in events} == {"Gerente Gil"}
    assert events[0].text == "Novo → Qualificado"


async def test_a_csv_import_is_all_or_nothing_with_a_report_per_line(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    existing = await make_lead(session, tenant.id, phone="+5511988887777", name=None)
    actor = Actor(tenant_id=tenant.id)
    broken = ("telefone;nome;etapa;quartos;origem\n"
              "11 98888-7777;Carla;qualified;2;feirão\n"
              "123;Sem número;new;1;site\n"
              "(11) 97777-6666;Duda;vendido;x;site\n"
              "11977776666;Duda de novo;new;1;site\n").encode()  # fmt: skip
    report = await lead_entry.import_csv(session, actor, content=broken)
    assert [e.line for e in report.errors] == [3, 4, 5]
    assert "WhatsApp" in report.errors[0].messages[0]
    assert len(report.errors[1].messages) == 2  # the stage and the bedrooms
    assert "repetido" in report.errors[2].messages[-1]
    leads = "SELECT count(*) FROM leads WHERE tenant_id = :t"
    assert await _scalar(session, leads, t=tenant.id) == 1 and existing.name is None

    fine = (
        b"telefone,nome,etapa,etiquetas\n11988887777,Carla,qualified,antigo\n11977776666,Duda,,\n"
    )
    report = await lead_entry.import_csv(session, actor, content=fine)
    assert (report.created, report.updated, report.errors) == (1, 1, [])
    assert (existing.name, existing.stage, existing.tags) == ("Carla", "qualified", ["antigo"])
    with pytest.raises(BadRequest):
        await lead_entry.import_csv(session, actor, content=b"nome\nAna\n")


async def test_a_lead_typed_by_hand_is_created_once_per_whatsapp(session: AsyncSession) -> None:
    tenant, other = await make_tenant(session), await make_tenant(session)
    actor = Actor(tenant_id=tenant.id)
    lead = await lead_entry.create_lead(session, actor, phone="(11) 96666-5555", name=" Rita ",
                                        source="plantão")  # fmt: skip
    assert (lead.phone, lead.name, lead.custom_data["source"]) == (
        "+5511966665555",
        "Rita",
        "plantão",
    )
    assert (lead.source, lead.campaign) == ("manual", "plantão")  # the one source field
    with pytest.raises(Exception, match="Já existe"):
        await lead_entry.create_lead(session, actor, phone="11966665555", name=None, source=None)
    # Another agency may have a lead with the same number.
    theirs = await lead_entry.create_lead(session, Actor(tenant_id=other.id),
                                          phone="11966665555", name=None, source=None)  # fmt: skip
    assert theirs.tenant_id == other.id
    assert isinstance(theirs, Lead)
