"""Every message kind of the recorded payloads, from Meta and from Evolution, through the real
webhook, queue and worker: what is stored and what (if anything) the lead gets back."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.providers import FakeEvolution, FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack
from vellarys.db.models import Message, Property
from vellarys.db.uow import unit_of_work
from vellarys.services.channel import add_channel, webhook_path

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
EVOLUTION_KEY = "B6D711FCDE4D4FD5936544120E713976"
LEAD = "+5541999998888"
EDITED = "Olá! Vi o apartamento de 3 quartos no Batel. Ele aceita financiamento?"
FILES = {
    "meta": {
        "text": "text.json",
        "edit": "edit.json",
        "reaction": "reaction.json",
        "location": "location.json",
        "contacts": "contacts.json",
        "sticker": "sticker.json",
        "button": "interactive_button_reply.json",
        "list": "interactive_list_reply.json",
        "revoke": "revoke.json",
    },
    "evolution": {
        "text": "text_conversation.json",
        "edit": "protocol_edit.json",
        "reaction": "reaction.json",
        "location": "location.json",
        "contacts": "contact.json",
        "sticker": "sticker.json",
        "button": "buttons_response.json",
        "list": "list_response.json",
        "revoke": "protocol_revoke.json",
    },
}


def payload(provider: str, name: str) -> dict[str, Any]:
    """A recorded payload sent now (an old timestamp would be stored and not answered)."""
    body: dict[str, Any] = json.loads((PAYLOADS / provider / name).read_text())
    now = int(time.time())

    def renew(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("timestamp", "messageTimestamp"):
                if key in node:
                    node[key] = str(now) if isinstance(node[key], str) else now
            for value in node.values():
                renew(value)
        elif isinstance(node, list):
            for value in node:
                renew(value)

    renew(body)
    return body


class Lead:
    """One provider's lead as the tests drive it: post a payload, run the worker, look."""

    def __init__(self, stack: Stack, provider: str, url: str, sent: Callable[[], int]) -> None:
        self.stack, self.provider, self.url, self.sent = stack, provider, url, sent

    async def send(
        self, kind: str, *, body: dict[str, Any] | None = None, **edit: Any
    ) -> list[Message]:
        """Post the kind's payload (``edit`` rewrites nested fields by name), run the
        worker and return the messages sent to the lead because of it."""
        body = body or payload(self.provider, FILES[self.provider][kind])
        _rewrite(body, edit)
        before = len(await self.stack.messages(direction="outbound"))
        sent_before = self.sent()
        if self.provider == "meta":
            response = await self.stack.post(body)
        else:
            response = await self.stack.client.post(self.url, json=body)
        assert response.status_code == 200, response.text
        await self.stack.drain()
        replies = (await self.stack.messages(direction="outbound"))[before:]
        assert self.sent() - sent_before == len(replies)  # each went out through the provider
        return replies

    async def inbound(self) -> list[Message]:
        return await self.stack.messages(direction="inbound")


def _rewrite(node: Any, edit: dict[str, Any]) -> None:
    if isinstance(node, dict):
        for key in list(node):
            if key in edit and not isinstance(node[key], dict):
                node[key] = edit[key]
            else:
                _rewrite(node[key], edit)
    elif isinstance(node, list):
        for value in node:
            _rewrite(value, edit)


@pytest.fixture(params=["meta", "evolution"])
async def lead(
    request: pytest.FixtureRequest, fresh_database: Callable[[], str], tmp_path: Path
) -> AsyncIterator[Lead]:
    with (
        FakeGraphAPI(access_token="test-token") as graph,
        FakeEvolution(api_key=EVOLUTION_KEY) as evolution,
    ):
        stack = await build_stack(fresh_database(), tmp_path, graph)
        async with unit_of_work(stack.container.sessions) as session:
            session.add(
                Property(
                    tenant_id=stack.tenant_id,
                    code="CWB300",
                    title="Apartamento no Batel",
                    property_type="apartment",
                    transaction="sale",
                    price=Decimal(890_000),
                    bedrooms=3,
                    neighborhood="Batel",
                    city="Curitiba",
                    state="PR",
                )
            )
            channel = await add_channel(
                session,
                tenant_id=stack.tenant_id,
                provider="evolution",
                identity="imobiliaria-batel",
                credentials={"api_key": EVOLUTION_KEY, "base_url": evolution.url},
                secret_key=stack.container.settings.resolved_secret_key,
                allow_private_urls=True,
            )
        provider = str(request.param)
        fake = graph if provider == "meta" else evolution
        yield Lead(stack, provider, webhook_path(channel), lambda: len(fake.sent))
        await stack.client.aclose()
        await stack.container.aclose()


async def test_every_message_kind_is_stored_and_answered_as_it_should(lead: Lead) -> None:
    replies = await lead.send("text")
    assert replies, "a text is answered"
    original = (await lead.inbound())[0]
    reply_id = replies[-1].external_id

    # An edit changes the stored text; a reaction lands on the message it reacts to.
    assert await lead.send("edit") == []
    assert len(await lead.inbound()) == 1
    edited = (await lead.inbound())[0]
    assert edited.content == EDITED
    assert edited.media["edits"][0]["text"] == original.content
    assert await _react(lead, str(reply_id)) == []
    reacted = await lead.stack.messages(external_id=reply_id)
    assert reacted[0].media["reaction"] == "👍"
    stored = [m for m in await lead.inbound() if m.type == "reaction"]
    assert len(stored) == 1 and stored[0].processed_at is not None

    # A location is answered with the agency's listings in the neighbourhood it names.
    near = await lead.send("location")
    text = "\n".join(m.content for m in near)
    assert "Perto daí, em *Batel*" in text and "CWB300" in text, text
    assert "CWB300" in near[-1].media["properties"]

    contact = await lead.send("contacts")
    assert "contato" in contact[0].content
    sticker = await lead.send("sticker")
    assert [m.content for m in sticker] == ["Haha, adorei! 😄"]
    for kind in ("list", "button"):  # "Agendar visita" hands the lead to a broker
        assert await lead.send(kind), f"a {kind} reply is answered"
    person = await lead.stack.lead(LEAD)
    assert person is not None and person.name == "Ana Souza"  # never a button's title

    # Deleted for everyone: the text goes, the row stays, nothing is said.
    assert await lead.send("revoke") == []
    deleted = (await lead.inbound())[0]
    assert deleted.content == "" and deleted.media["deleted"] is True
    kinds = [m.type for m in await lead.inbound()]
    assert kinds == [
        "text",
        "reaction",
        "location",
        "contacts",
        "sticker",
        "interactive",
        "interactive",
    ]
    await _provider_specific(lead)


async def _react(lead: Lead, reply_id: str) -> list[Message]:
    """A thumbs-up on the assistant's reply."""
    if lead.provider == "meta":
        return await lead.send("reaction", message_id=reply_id)
    # Evolution names the message reacted to in the reaction's own key.
    body = payload("evolution", "reaction.json")
    body["data"]["message"]["reactionMessage"]["key"]["id"] = reply_id
    return await lead.send("reaction", body=body)


async def _provider_specific(lead: Lead) -> None:
    if lead.provider == "evolution":
        # Housekeeping (disappearing messages switched on) is neither stored nor answered.
        before = len(await lead.inbound())
        assert (
            await lead.send("housekeeping", body=payload("evolution", "protocol_message.json"))
            == []
        )
        assert len(await lead.inbound()) == before
        contact = next(m for m in await lead.inbound() if m.type == "contacts")
        deleted = payload("evolution", "messages_delete.json")
        deleted["data"]["id"] = contact.external_id
        assert await lead.send("delete", body=deleted) == []
        assert (await lead.stack.messages(id=contact.id))[0].media["deleted"] is True
        return
    # The agency answers from the WhatsApp Business app: recorded as its own, the AI steps back.
    # (recorded as an outbound message the provider never sent: not through ``lead.send``)
    response = await lead.stack.post(payload("meta", "smb_message_echo.json"))
    assert response.status_code == 200, response.text
    await lead.stack.drain()
    human = [m for m in await lead.stack.messages(direction="outbound") if m.role == "broker"]
    assert human and human[-1].content.startswith("Oi Ana, aqui é o Marcos")
    person = await lead.stack.lead(LEAD)
    assert person is not None and person.ai_paused
    # The lead changed number: the conversation follows them.
    await lead.send("system", body=payload("meta", "system_changed_number.json"))
    assert await lead.stack.lead(LEAD) is None
    moved = await lead.stack.lead("+5541988887777")
    assert moved is not None and moved.id == person.id
