"""Handoffs over the API."""

from __future__ import annotations

import uuid

from tests.api.v1.factories import make_handoff, make_lead
from tests.api.v1.harness import Api


async def test_handoffs_list_filters_by_status_and_lead_and_get_one(api: Api) -> None:
    async with api.db() as session:
        ana = await make_lead(
            session,
            api.ours.tenant_id,
            name="Ana",
            custom_data={"intent": "buy", "budget_max": 700_000},
        )
        bia = await make_lead(session, api.ours.tenant_id, name="Bia")
        first = await make_handoff(session, ana, property_ids=["AP1101"])
        await make_handoff(session, bia, status="released", reason="requested")
    everything = (await api.call("GET", "/api/v1/handoffs")).json()
    assert everything["total"] == 2
    open_ = (await api.call("GET", "/api/v1/handoffs", params={"status": "open"})).json()
    assert [h["lead_id"] for h in open_["items"]] == [str(ana.id)]
    of_bia = (await api.call("GET", "/api/v1/handoffs", params={"lead_id": str(bia.id)})).json()
    assert [h["status"] for h in of_bia["items"]] == ["released"]

    one = (await api.call("GET", f"/api/v1/handoffs/{first.id}")).json()
    assert one["profile"] == {"intent": "buy", "budget_max": 700_000}
    assert one["property_ids"] == ["AP1101"] and one["summary"] == "Resumo de Ana"


async def test_another_agencys_handoff_is_404_and_never_listed(api: Api) -> None:
    async with api.db() as session:
        lead = await make_lead(session, api.theirs.tenant_id, name="Deles")
        foreign = await make_handoff(session, lead)
    assert (await api.call("GET", f"/api/v1/handoffs/{foreign.id}")).status_code == 404
    assert (await api.call("GET", f"/api/v1/handoffs/{uuid.uuid4()}")).status_code == 404
    assert (await api.call("GET", "/api/v1/handoffs")).json()["total"] == 0
    bad = await api.call("GET", "/api/v1/handoffs", params={"status": "closed"})
    assert bad.status_code == 422
