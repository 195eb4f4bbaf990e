"""LGPD requests written in the chat, through the real pipeline: recognised, confirmed to the
lead in pt-BR, a task on the agency's /lgpd page with export and erase one click away, and
the lead told when it is done (the erasure happens after that message is sent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack, meta_text
from tests.web.conftest import PASSWORD, csrf_of, soup
from vellarys.db.models import AuditEntry, LgpdRequest, Notification, Tenant, User
from vellarys.db.uow import unit_of_work
from vellarys.domain.password import hash_password
from vellarys.services.privacy_requests import DONE, REPLIES

ANA, BETO, CAIO = "5511911112222", "5511933334444", "5511955556666"
ADMIN = "gestor@lgpd.local"
OWN_TEXT = "Recebemos seu pedido de acesso aos seus dados. Em até 15 dias enviamos tudo por aqui."


async def _requests(stack: Stack) -> list[LgpdRequest]:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.execute(
            select(LgpdRequest)
            .where(LgpdRequest.tenant_id == stack.tenant_id)
            .order_by(LgpdRequest.created_at)
        )
        return list(found.scalars())


async def _texts_to(stack: Stack, phone: str) -> list[str]:
    lead = await stack.lead("+" + phone)
    assert lead is not None
    return [m.content for m in await stack.messages(direction="outbound", lead_id=lead.id)]


async def _sign_in(stack: Stack) -> str:
    async with unit_of_work(stack.container.sessions) as session:
        session.add(User(tenant_id=stack.tenant_id, email=ADMIN, name="Gestora", role="admin",
                         password_hash=hash_password(PASSWORD)))  # fmt: skip
    page = await stack.client.get("/login")
    done = await stack.client.post(
        "/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": csrf_of(page)}
    )
    assert done.status_code == 303
    return csrf_of(await stack.client.get("/lgpd"))


async def test_access_erase_and_opt_out_requests_from_the_chat(
    fresh_database: Any, tmp_path: Path, graph: FakeGraphAPI
) -> None:
    stack = await build_stack(fresh_database(), tmp_path, graph)
    try:
        csrf = await _sign_in(stack)
        async with unit_of_work(stack.container.sessions) as session:
            tenant = await session.get(Tenant, stack.tenant_id)
            assert tenant is not None
            tenant.settings = {**tenant.settings, "lgpd_access_reply": OWN_TEXT}
        await stack.post(meta_text("Oi! Quero saber que dados vocês têm de mim", phone=ANA))
        await stack.post(meta_text("Apaguem meus dados, por favor", phone=BETO))
        await stack.post(meta_text("não quero mais receber mensagens", phone=CAIO))
        await stack.drain()
        agency = "Imobiliária Teste"
        assert await _texts_to(stack, ANA) == [OWN_TEXT]  # the agency's own words
        assert await _texts_to(stack, BETO) == [REPLIES["erase"].format(agency=agency)]
        access, erase, opt_out = await _requests(stack)
        assert [(r.kind, r.status) for r in (access, erase, opt_out)] == [
            ("access", "open"), ("erase", "open"), ("opt_out", "done")
        ]  # fmt: skip
        async with unit_of_work(stack.container.sessions) as session:
            kinds = (await session.execute(select(Notification.kind))).scalars().all()
            actions = (await session.execute(select(AuditEntry.action))).scalars().all()
        assert kinds.count("lgpd_request") == 3 and actions.count("lgpd.requested") == 3
        # The same request again is not a second task.
        await stack.post(meta_text("quero meus dados", phone=ANA))
        await stack.drain()
        assert len(await _requests(stack)) == 3

        page = soup(await stack.client.get("/lgpd"))
        assert len(page.select("#lgpd-requests tbody tr")) == 3
        export = await stack.client.get(f"/lgpd/{access.id}/export.json")
        assert export.status_code == 200
        assert json.loads(export.text)["lead"]["phone"] == "+" + ANA
        done = await stack.client.post(f"/lgpd/{access.id}/done", data={"csrf_token": csrf})
        assert done.status_code == 303
        again = await stack.client.post(f"/lgpd/{access.id}/done", data={"csrf_token": csrf})
        assert again.status_code == 400
        await stack.drain()
        assert (await _texts_to(stack, ANA))[-1] == DONE["access"].format(agency=agency)

        beto = await stack.lead("+" + BETO)
        assert beto is not None
        confirmed = await stack.client.post(f"/lgpd/{erase.id}/erase", data={"csrf_token": csrf})
        assert confirmed.status_code == 303
        await stack.drain()
        told = [m for m in graph.sent if m.body.get("to") == BETO]
        assert told[-1].body["text"]["body"] == DONE["erase"].format(agency=agency)
        erased = await stack.lead("+" + BETO)
        assert erased is None  # the phone is gone
        assert await stack.scalar(
            "SELECT erased_at IS NOT NULL FROM leads WHERE id = :id", id=beto.id
        )
        assert (
            await stack.scalar("SELECT count(*) FROM messages WHERE lead_id = :id", id=beto.id) == 0
        )
        statuses = {r.kind: r.status for r in await _requests(stack)}
        assert statuses == {"access": "done", "erase": "done", "opt_out": "done"}
    finally:
        await stack.client.aclose()
        await stack.container.aclose()
