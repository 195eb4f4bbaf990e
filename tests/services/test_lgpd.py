"""LGPD: a lead's export holds everything; erasure removes the conversation and the person."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import (
    make_handoff,
    make_lead,
    make_message,
    make_note,
    make_tenant,
    make_user,
)
from vellarys.db.models import Handoff, Lead, LeadNote, Message
from vellarys.errors import NotFound
from vellarys.services import audit, lgpd


async def _lead(session: AsyncSession) -> Lead:
    tenant = await make_tenant(session)
    profile = {"neighborhoods": ["Moema"], "budget_max": 600_000}
    lead = await make_lead(
        session,
        tenant.id,
        name="Ana",
        phone="+5511977776666",
        summary="Quer 2 quartos em Moema",
        custom_data=profile,
    )
    await make_message(session, lead, "Meu CPF é 123.456.789-00")
    await make_message(session, lead, "Obrigado!", role="assistant")
    await make_handoff(session, lead)
    await make_note(session, lead, "Cliente prefere ligação")
    return lead


async def test_export_holds_lead_profile_messages_handoffs_notes_and_audit(
    session: AsyncSession,
) -> None:
    lead = await _lead(session)
    admin = await make_user(session, lead.tenant_id, role="admin")
    await audit.record(
        session,
        tenant_id=lead.tenant_id,
        user_id=admin.id,
        action=audit.TOOK_OVER,
        target_type=audit.LEAD,
        target_id=lead.id,
    )
    data = await lgpd.export_lead(
        session, tenant_id=lead.tenant_id, lead_id=lead.id, user_id=admin.id
    )
    assert data["lead"]["phone"] == "+5511977776666" and data["lead"]["id"] == str(lead.id)
    assert data["profile"]["neighborhoods"] == ["Moema"]
    assert [m["content"] for m in data["messages"]] == ["Meu CPF é 123.456.789-00", "Obrigado!"]
    assert data["notes"][0]["body"] == "Cliente prefere ligação"
    assert data["handoffs"][0]["summary"] == "Resumo de Ana"
    assert sorted(e["action"] for e in data["audit"]) == ["lead.exported", "lead.taken_over"]
    assert all(e["user_id"] == str(admin.id) for e in data["audit"])


async def test_erase_deletes_messages_and_notes_and_anonymizes_lead_and_handoffs(
    session: AsyncSession,
) -> None:
    lead = await _lead(session)
    erasure = await lgpd.erase_lead(session, tenant_id=lead.tenant_id, lead_id=lead.id)
    assert (erasure.messages_deleted, erasure.notes_deleted, erasure.handoffs_anonymized) == (
        2,
        1,
        1,
    )
    for model in (Message, LeadNote):
        count = select(func.count()).select_from(model).where(model.lead_id == lead.id)
        assert (await session.execute(count)).scalar_one() == 0
    await session.refresh(lead)
    assert lead.phone == f"erased:{lead.id.hex[:25]}" and len(lead.phone) <= 32
    assert (lead.name, lead.summary, lead.custom_data) == (None, None, {})
    assert lead.opted_out and lead.ai_paused and lead.erased_at is not None
    found = await session.execute(select(Handoff).where(Handoff.lead_id == lead.id))
    handoff = found.scalar_one()
    assert (handoff.summary, handoff.profile) == (None, {})
    trail = await lgpd.audit_trail(session, tenant_id=lead.tenant_id, lead_id=lead.id)
    assert [e.action for e in trail] == ["lead.erased"]
    assert "Ana" not in str(trail[0].details) and "+55" not in str(trail[0].details)


async def test_erasing_twice_changes_and_records_nothing_more(session: AsyncSession) -> None:
    lead = await _lead(session)
    first = await lgpd.erase_lead(session, tenant_id=lead.tenant_id, lead_id=lead.id)
    again = await lgpd.erase_lead(session, tenant_id=lead.tenant_id, lead_id=lead.id)
    assert again.already_erased and again.erased_at == first.erased_at
    trail = await lgpd.audit_trail(session, tenant_id=lead.tenant_id, lead_id=lead.id)
    assert [e.action for e in trail] == ["lead.erased"]


async def test_an_erased_person_who_writes_again_is_a_new_lead(session: AsyncSession) -> None:
    lead = await _lead(session)
    await lgpd.erase_lead(session, tenant_id=lead.tenant_id, lead_id=lead.id)
    again = await make_lead(session, lead.tenant_id, phone="+5511977776666")
    assert again.id != lead.id


async def test_another_agency_cannot_export_or_erase_the_lead(session: AsyncSession) -> None:
    lead = await _lead(session)
    other = await make_tenant(session)
    with pytest.raises(NotFound):
        await lgpd.export_lead(session, tenant_id=other.id, lead_id=lead.id)
    with pytest.raises(NotFound):
        await lgpd.erase_lead(session, tenant_id=other.id, lead_id=lead.id)
    with pytest.raises(NotFound):
        await lgpd.erase_lead(session, tenant_id=lead.tenant_id, lead_id=uuid.uuid4())
    await session.refresh(lead)
    assert lead.name == "Ana" and lead.erased_at is None
