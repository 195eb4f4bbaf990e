"""LGPD over the API: export everything about a lead, erase it, and the audit trail."""

from __future__ import annotations

from tests.api.v1.factories import make_handoff, make_lead, make_message, make_note
from tests.api.v1.harness import Api


async def _conversation(api: Api) -> str:
    async with api.db() as session:
        lead = await make_lead(
            session,
            api.ours.tenant_id,
            name="Ana Souza",
            phone="+5511988887777",
            summary="Quer comprar em Moema",
            custom_data={"neighborhoods": ["Moema"], "budget_max": 900_000},
        )
        await make_message(session, lead, "Oi, procuro apartamento em Moema")
        await make_message(session, lead, "Claro! Qual o orçamento?", role="assistant")
        await make_handoff(session, lead)
        await make_note(session, lead, "Ligar depois das 18h")
        return str(lead.id)


async def test_export_holds_the_lead_messages_handoffs_notes_and_audit(api: Api) -> None:
    lead_id = await _conversation(api)
    response = await api.call("GET", f"/api/v1/leads/{lead_id}/export")
    assert response.status_code == 200
    data = response.json()
    assert data["lead"]["phone"] == "+5511988887777" and data["lead"]["name"] == "Ana Souza"
    assert data["profile"] == {"neighborhoods": ["Moema"], "budget_max": 900_000}
    assert [m["content"] for m in data["messages"]] == [
        "Oi, procuro apartamento em Moema",
        "Claro! Qual o orçamento?",
    ]
    assert [n["body"] for n in data["notes"]] == ["Ligar depois das 18h"]
    assert len(data["handoffs"]) == 1
    assert [e["action"] for e in data["audit"]] == ["lead.exported"]


async def test_erase_deletes_the_messages_and_anonymizes_the_lead_once(api: Api) -> None:
    lead_id = await _conversation(api)
    first = await api.call("POST", f"/api/v1/leads/{lead_id}/erase")
    assert first.status_code == 200
    assert (first.json()["messages_deleted"], first.json()["already_erased"]) == (2, False)
    again = (await api.call("POST", f"/api/v1/leads/{lead_id}/erase")).json()
    assert (again["already_erased"], again["messages_deleted"]) == (True, 0)

    data = (await api.call("GET", f"/api/v1/leads/{lead_id}/export")).json()
    assert data["messages"] == [] and data["notes"] == [] and data["profile"] == {}
    assert data["lead"]["name"] is None and data["lead"]["summary"] is None
    assert data["lead"]["phone"].startswith("erased:") and data["lead"]["opted_out"]
    assert data["handoffs"][0]["summary"] is None and data["handoffs"][0]["profile"] == {}
    assert [e["action"] for e in data["audit"]] == ["lead.erased", "lead.exported"]
    text = await api.scalar(
        "SELECT count(*) FROM messages WHERE content LIKE '%Moema%' AND tenant_id = :t",
        t=api.ours.tenant_id,
    )
    assert text == 0
    assert (await api.call("GET", "/api/v1/leads")).json()["total"] == 0
