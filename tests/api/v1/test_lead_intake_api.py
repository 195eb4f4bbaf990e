"""POST /api/v1/leads: create or match by phone, link the listing, greet on WhatsApp, idempotent
by Idempotency-Key or external_id; and the leads list filtered by source."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tests.api.v1.factories import make_channel
from tests.api.v1.harness import Agency, Api
from vellarys.db.models import Lead, Message, Property

PHONE = "(41) 99999-1234"
E164 = "+5541999991234"


async def _arrange(api: Api, agency: Agency) -> None:
    async with api.db() as session:
        await make_channel(session, agency.tenant_id)
        session.add(
            Property(
                tenant_id=agency.tenant_id,
                code="AP-101",
                title="Apartamento 2 quartos",
                property_type="apartment",
                transaction="sale",
                price=Decimal("750000"),
                neighborhood="Batel",
                city="Curitiba",
                state="PR",
            )
        )


async def _counts(api: Api, tenant_id: uuid.UUID) -> tuple[int, int, int]:
    t = str(tenant_id)
    leads = await api.scalar("SELECT count(*) FROM leads WHERE tenant_id = :t", t=t)
    messages = await api.scalar("SELECT count(*) FROM messages WHERE tenant_id = :t", t=t)
    keys = await api.scalar("SELECT count(*) FROM lead_intakes WHERE tenant_id = :t", t=t)
    return int(leads), int(messages), int(keys)


async def _post(api: Api, body: dict[str, Any], *, key: str | None = None, **kw: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return await api.call("POST", "/api/v1/leads", json=body, headers=headers, **kw)


async def test_a_site_lead_is_created_greeted_about_its_listing_and_replayed_once(
    api: Api,
) -> None:
    await _arrange(api, api.ours)
    body = {"phone": PHONE, "name": "Ana Souza", "listing_code": "AP-101", "campaign": "verão"}
    first = await _post(api, body, key="form-1")
    assert first.status_code == 201, first.text
    got = first.json()
    assert got["created"] and got["listing_found"] and not got["replayed"]
    assert got["lead"]["phone"] == E164 and got["lead"]["source"] == "site"
    assert got["lead"]["campaign"] == "verão"
    assert got["lead"]["custom_data"]["intent"] == "buy"
    async with api.db() as session:
        message = await session.get(Message, uuid.UUID(got["first_message_id"]))
        assert message is not None and message.status == "pending"
        assert "Oi, Ana!" in message.content and "AP-101" in message.content
        assert "Apartamento 2 quartos" in message.content and message.media["properties"] == [
            "AP-101"
        ]

    again = await _post(api, body, key="form-1")  # a retry: same answer, nothing new
    assert again.status_code == 200 and again.json()["replayed"]
    assert again.json()["lead"]["id"] == got["lead"]["id"]
    assert await _counts(api, api.ours.tenant_id) == (1, 1, 1)

    other = await _post(api, {**body, "name": "Outra"}, key="form-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "Conflict"
    # Another form of the same person (no ninth digit) matches the lead, greets it again.
    matched = await _post(api, {"phone": "4199991234", "external_id": "crm-7"})
    assert matched.status_code == 200 and not matched.json()["created"]
    assert matched.json()["lead"]["id"] == got["lead"]["id"]
    assert (await _post(api, {"phone": "4199991234", "external_id": "crm-7"})).json()["replayed"]
    assert await _counts(api, api.ours.tenant_id) == (1, 2, 2)


async def test_bad_input_is_a_clear_4xx_and_writes_nothing(api: Api) -> None:
    await _arrange(api, api.ours)
    before = await _counts(api, api.ours.tenant_id)
    bad_phone = await _post(api, {"phone": "abc-defg-hij"}, key="k1")
    assert bad_phone.status_code == 400
    assert "Telefone" in bad_phone.json()["error"]["message"]
    bad_source = await _post(api, {"phone": PHONE, "source": "facebook"}, key="k2")
    assert bad_source.status_code == 400 and "Origem" in bad_source.json()["error"]["message"]
    unknown_field = await _post(api, {"phone": PHONE, "cpf": "1"})
    assert unknown_field.status_code == 422
    no_key = await api.call("POST", "/api/v1/leads", json={"phone": PHONE}, as_=None, headers={})
    assert no_key.status_code == 201  # the control: the same phone is fine
    anonymous = await api.client.post("/api/v1/leads", json={"phone": "11988887777"})
    assert anonymous.status_code == 401
    leads, _, keys = await _counts(api, api.ours.tenant_id)
    assert (leads, keys) == (before[0] + 1, before[2])


async def test_agencies_never_see_or_match_each_others_leads(api: Api) -> None:
    await _arrange(api, api.ours)
    await _arrange(api, api.theirs)
    ours = (await _post(api, {"phone": PHONE, "source": "portal:zap"}, key="same")).json()
    theirs = await _post(api, {"phone": PHONE}, key="same", as_=api.theirs)
    assert theirs.status_code == 201 and theirs.json()["lead"]["id"] != ours["lead"]["id"]
    async with api.db() as session:
        found = await session.execute(select(Lead.tenant_id).where(Lead.phone == E164))
        assert set(found.scalars()) >= {api.ours.tenant_id, api.theirs.tenant_id}

    async def names(**params: str) -> list[str]:
        response = await api.call("GET", "/api/v1/leads", params=params)
        assert response.status_code == 200, response.text
        return [item["source"] for item in response.json()["items"]]

    assert await names(source="portal") == ["portal:zap"]
    assert await names(source="portal:zap") == ["portal:zap"]
    assert await names(source="site") == []
    bad = await api.call("GET", "/api/v1/leads", params={"source": "jornal"})
    assert bad.status_code == 400
