"""LGPD beyond the lead's own rows: an erasure scrubs audit details that quote the lead, and
the export holds every column Vellarys keeps about it."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_message, make_note, make_tenant, make_user
from vellarys.db.models import AuditEntry, Lead, LeadNote, Message
from vellarys.domain.erasure import REMOVED
from vellarys.domain.glossary import AuditAction
from vellarys.services import audit, lgpd


async def _entry(
    session: AsyncSession, lead: Lead, user_id: object, **details: object
) -> AuditEntry:
    return await audit.record(
        session, tenant_id=lead.tenant_id, user_id=user_id, action=AuditAction.LEADS_EXPORTED,
        target_type="lead", target_id=None, details=details,
    )  # fmt: skip


async def test_erasure_scrubs_audit_details_that_quote_the_lead(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    admin = await make_user(session, tenant.id, role="admin")
    lead = await make_lead(session, tenant.id, name="Carla Mendonça", phone="+5511977776666")
    by_name = await _entry(session, lead, admin.id, query="q=Carla+Mendon%C3%A7a&stage=new", rows=1)
    by_first = await _entry(session, lead, admin.id, query="q=carla", rows=1)
    by_phone = await _entry(session, lead, admin.id, query="q=%2B5511977776666", rows=1)
    nested = await _entry(session, lead, admin.id, filters={"q": ["11 977776666"]})
    unrelated = await _entry(session, lead, admin.id, query="q=Carlos+Pinheiros", rows=9)

    erasure = await lgpd.erase_lead(session, tenant_id=tenant.id, lead_id=lead.id)

    for entry in (by_name, by_first, by_phone, nested, unrelated):
        await session.refresh(entry)
    assert by_name.details == {"query": REMOVED, "rows": 1}
    assert by_first.details["query"] == REMOVED and by_phone.details["query"] == REMOVED
    assert nested.details == {"filters": {"q": [REMOVED]}}
    assert unrelated.details == {"query": "q=Carlos+Pinheiros", "rows": 9}
    trail = await lgpd.audit_trail(session, tenant_id=tenant.id, lead_id=erasure.lead_id)
    assert trail[-1].details["audit_entries_scrubbed"] == 4


async def test_the_export_holds_every_column_kept_about_the_lead_and_audit_that_quotes_it(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    admin = await make_user(session, tenant.id, role="admin")
    lead = await make_lead(session, tenant.id, name="Bruno Teixeira", first_response_seconds=4.5)
    await make_message(session, lead, "Quero 2 quartos")
    await make_note(session, lead, "Liga à tarde")
    search = await _entry(session, lead, admin.id, query="q=Bruno+Teixeira")

    data = await lgpd.export_lead(session, tenant_id=tenant.id, lead_id=lead.id, user_id=admin.id)

    for key, model in (("lead", Lead), ("messages", Message), ("notes", LeadNote)):
        row = data[key] if key == "lead" else data[key][0]
        columns = {c.key for c in inspect(model).column_attrs}
        assert columns <= set(row), (key, columns - set(row))
    assert data["lead"]["first_response_seconds"] == 4.5
    assert "raw_payload" in data["messages"][0] and "external_id" in data["messages"][0]
    assert str(search.id) in {e["id"] for e in data["audit"]}
    assert data["planned_messages"] == [] and data["notifications"] == []
