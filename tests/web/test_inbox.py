"""The broker inbox: unread counts, read marks, quick replies, search, archive, files sent
through the Graph API, and the live feed of server-sent events over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import APP_SECRET, PHONE_NUMBER_ID, Stack, build_stack, meta_text
from tests.web.conftest import Dashboard, soup
from vellarys.asgi import create_app
from vellarys.db.feed import MessageFeed
from vellarys.db.models import Tenant, User
from vellarys.db.uow import unit_of_work
from vellarys.db.url import libpq_url
from vellarys.domain.password import hash_password
from vellarys.services.channel import add_channel, webhook_path

PASSWORD = "senha-forte-123"
ANA, BRUNO = "5511988887777", "5511977776666"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(access_token="test-token") as fake:
        yield fake


@pytest.fixture
async def stack(
    fresh_database: Callable[[], str], tmp_path: Path, graph: FakeGraphAPI
) -> AsyncIterator[Stack]:
    """A Meta channel's agency with an admin and two brokers."""
    built = await build_stack(fresh_database(), tmp_path, graph)
    async with unit_of_work(built.container.sessions) as session:
        for email, name, role in (
            ("admin@inbox.local", "Renata Lima", "admin"),
            ("bia@inbox.local", "Bia Corretora", "broker"),
            ("caio@inbox.local", "Caio Corretor", "broker"),
        ):
            session.add(
                User(
                    tenant_id=built.tenant_id,
                    email=email,
                    name=name,
                    role=role,
                    password_hash=hash_password(PASSWORD),
                )
            )
    yield built
    await built.client.aclose()
    await built.container.aclose()


async def signed_in(stack: Stack, email: str) -> Dashboard:
    transport = httpx.ASGITransport(app=create_app(stack.container))
    http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    dashboard = Dashboard(stack.container, stack.tenant_id, http)
    assert (await dashboard.login(email, PASSWORD)).status_code == 303
    return dashboard


async def lead_id(stack: Stack, phone: str) -> uuid.UUID:
    lead = await stack.lead("+" + phone)
    assert lead is not None
    return lead.id


def unread(page: httpx.Response) -> dict[str, int]:
    return {
        str(a["data-lead-id"]): int(str(a["data-unread"]))
        for a in soup(page).select("#inbox-list a.conversation")
    }


async def test_unread_counts_quick_replies_search_archive_and_a_file_to_the_graph_api(
    stack: Stack, graph: FakeGraphAPI
) -> None:
    await stack.post(
        meta_text("Somos uma familia grande: a familia precisa de 4 quartos", phone=ANA)
    )
    await stack.post(meta_text("Oi, procuro apartamento perto do metrô", phone=BRUNO, name="Bruno"))
    await stack.post(meta_text("Minha familia tem um cachorro", phone=BRUNO, name="Bruno"))
    ana, bruno = await lead_id(stack, ANA), await lead_id(stack, BRUNO)
    admin = await signed_in(stack, "admin@inbox.local")

    # Unread per conversation, newest first; opening one marks it read for this user only.
    page = await admin.http.get("/inbox")
    assert unread(page) == {str(bruno): 2, str(ana): 1}
    assert list(unread(page)) == [str(bruno), str(ana)]
    assert (await admin.http.get("/inbox/unread")).text == "3"
    await admin.http.get(f"/inbox/{ana}")
    assert unread(await admin.http.get("/inbox/list")) == {str(bruno): 2, str(ana): 0}
    assert (await admin.http.get("/inbox/unread")).text == "2"
    bia = await signed_in(stack, "bia@inbox.local")
    assert unread(await bia.http.get("/inbox"))[str(ana)] == 1

    # Full text in Portuguese, accents folded, the more relevant message first.
    hits = soup(await admin.http.get("/inbox", params={"q": "famílias"})).select(".search-hit")
    assert [h.a["href"] for h in hits] == [f"/inbox/{ana}", f"/inbox/{bruno}"]
    plan = await _explain(stack, "famílias")
    assert "ix_messages_content_fts" in plan, plan

    # Quick replies, filled for the conversation they are used in; shortcuts are unique.
    saved = await admin.post(
        "/inbox/quick-replies",
        {"shortcut": "/Visita", "body": "Oi {nome}, aqui é {corretor}! Posso te ligar?"},
        page="/inbox/quick-replies",
    )
    assert saved.status_code == 303
    again = await admin.post(
        "/inbox/quick-replies", {"shortcut": "visita", "body": "x"}, page="/inbox/quick-replies"
    )
    listing = soup(await admin.http.get(again.headers["location"]))
    assert "Já existe uma resposta rápida /visita" in listing.text
    reply_id = listing.select_one(".quick-reply form")["action"].rsplit("/", 1)[-1]
    await admin.post(
        f"/inbox/quick-replies/{reply_id}",
        {"shortcut": "visita", "body": "Olá {nome}, aqui é {corretor}. Posso te ligar?"},
        page="/inbox/quick-replies",
    )
    option = soup(await admin.http.get(f"/inbox/{bruno}")).select_one(
        "#quick-reply-picker option[data-shortcut='/visita']"
    )
    assert option is not None and option["value"] == "Olá Bruno, aqui é Renata. Posso te ligar?"

    # Archived: out of the inbox, in the archive, back when the lead writes again.
    await admin.post(f"/inbox/{ana}/archive", page=f"/inbox/{ana}")
    assert str(ana) not in unread(await admin.http.get("/inbox"))
    assert str(ana) in unread(await admin.http.get("/inbox", params={"archived": "1"}))
    await stack.post(meta_text("Ainda tem o de 4 quartos?", phone=ANA))
    assert str(ana) in unread(await admin.http.get("/inbox"))

    # A broker sees their leads and the queue, never a colleague's conversation.
    caio = await _user_id(stack, "caio@inbox.local")
    await stack.scalar(
        "UPDATE leads SET assigned_user_id = :u WHERE id = :l RETURNING id", u=caio, l=bruno
    )
    assert set(unread(await bia.http.get("/inbox"))) == {str(ana)}
    assert (await bia.http.get(f"/inbox/{bruno}")).status_code == 404
    found = soup(await bia.http.get("/inbox", params={"q": "familia"})).select(".search-hit")
    assert [h.a["href"] for h in found] == [f"/inbox/{ana}"]

    # A picture from the dashboard: uploaded to the number's media store, sent by its id.
    sent = await admin.post(
        f"/inbox/{ana}/file",
        {"caption": "A planta do apartamento"},
        page=f"/inbox/{ana}",
        files={"file": ("planta.png", PNG, "image/png")},
    )
    assert sent.status_code == 303
    refused = await admin.post(
        f"/inbox/{ana}/file", page=f"/inbox/{ana}", files={"file": ("x.exe", b"MZ..", "image/png")}
    )
    assert "Envie uma foto" in (await admin.http.get(refused.headers["location"])).text
    await stack.drain()
    assert len(graph.uploads) == 1
    upload = graph.uploads[0]
    assert upload.path.endswith(f"/{PHONE_NUMBER_ID}/media")
    assert PNG in upload.body and b"messaging_product" in upload.body
    pictures = [r.body for r in graph.sent if r.body.get("type") == "image"]
    assert pictures == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": ANA,
            "type": "image",
            "image": {"id": "900000000001", "caption": "A planta do apartamento"},
        }
    ]
    picture = (await stack.messages(type="image"))[0]
    assert (picture.status, picture.role, picture.direction) == ("sent", "broker", "outbound")
    shown = soup(await admin.http.get(f"/inbox/{ana}")).select_one(
        f"[data-message-id='{picture.id}'] img"
    )
    assert shown is not None and (await admin.http.get(shown["src"])).content == PNG
    for client in (admin, bia):
        await client.http.aclose()


async def _explain(stack: Stack, query: str) -> str:
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await session.execute(
            text(
                "EXPLAIN SELECT id FROM messages WHERE to_tsvector('portuguese'::regconfig, "
                "vellarys_fold(content)) @@ websearch_to_tsquery('portuguese'::regconfig, "
                "vellarys_fold(:q))"
            ),
            {"q": query},
        )
        return "\n".join(str(r[0]) for r in rows)


async def _user_id(stack: Stack, email: str) -> uuid.UUID:
    return uuid.UUID(str(await stack.scalar("SELECT id FROM users WHERE email = :e", e=email)))


# The live feed over real HTTP ---------------------------------------------------------------


@pytest.fixture
async def served(stack: Stack) -> AsyncIterator[str]:
    """The app on a real socket (uvicorn in this process), for the streaming response."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(stack.container),
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    sock.listen()  # connections wait in the backlog until uvicorn accepts them
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
    sock.close()


async def test_the_live_feed_delivers_a_new_inbound_message_to_an_open_inbox(
    stack: Stack, served: str
) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=30) as http:
        dashboard = Dashboard(stack.container, stack.tenant_id, http)
        assert (await dashboard.login("admin@inbox.local", PASSWORD)).status_code == 303
        async with http.stream("GET", "/inbox/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            # Another agency's lead writes first: its message must never reach this feed.
            await _post_to_another_agency(stack, "Mensagem de outra imobiliária")
            body = meta_text("Oi! Vi o anúncio da casa no Batel", phone=ANA)
            await stack.post(body)  # the webhook, while the inbox is open
            event = await asyncio.wait_for(_next_event(lines), timeout=60)
    assert event["text"] == "Oi! Vi o anúncio da casa no Batel"
    assert (event["direction"], event["lead"], event["typing"]) == ("inbound", "Ana Souza", True)
    assert event["lead_id"] == str(await lead_id(stack, ANA))


async def test_a_stored_message_wakes_the_feed_by_notify_and_survives_a_listener_reconnect(
    stack: Stack, served: str
) -> None:
    # The feed never reads on its own while its listener is up (an hour between reads), so an
    # event can only arrive because the database notified it.
    feed = MessageFeed(libpq_url(stack.container.database_url), idle_seconds=3600)
    stack.container.feed = feed
    async with httpx.AsyncClient(base_url=served, timeout=30) as http:
        dashboard = Dashboard(stack.container, stack.tenant_id, http)
        assert (await dashboard.login("admin@inbox.local", PASSWORD)).status_code == 303
        async with http.stream("GET", "/inbox/events") as stream:
            lines = stream.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            await asyncio.wait_for(feed.wait_connected(1), timeout=60)
            await stack.post(meta_text("Primeira mensagem", phone=ANA))
            first = await asyncio.wait_for(_event_saying(lines, "Primeira mensagem"), 60)
            heard = feed.heard
            assert heard >= 1
            # The listener's connection dies, as in a database restart: it comes back alone.
            killed = await stack.scalar(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'vellarys_feed'"
            )
            assert killed == 1
            await asyncio.wait_for(feed.wait_connected(2), timeout=60)
            await stack.post(meta_text("Segunda mensagem", phone=ANA))
            second = await asyncio.wait_for(_event_saying(lines, "Segunda mensagem"), 60)
    assert first["lead_id"] == second["lead_id"] == str(await lead_id(stack, ANA))
    assert feed.heard > heard and feed.connections == 2
    await feed.aclose()


async def _event_saying(lines: AsyncIterator[str], text: str) -> dict[str, Any]:
    while True:
        event = await _next_event(lines)
        if event["text"] == text:
            return event


async def _post_to_another_agency(stack: Stack, said: str) -> None:
    other_number = "106540352249999"
    async with unit_of_work(stack.container.sessions) as session:
        tenant = Tenant(slug=f"outra-{uuid.uuid4().hex[:6]}", name="Outra", settings={})
        session.add(tenant)
        await session.flush()
        channel = await add_channel(
            session,
            tenant_id=tenant.id,
            provider="meta",
            identity=other_number,
            credentials={"access_token": "t", "app_secret": APP_SECRET},
            secret_key=stack.container.settings.resolved_secret_key,
            allow_private_urls=True,
        )
    body = json.dumps(meta_text(said, phone=BRUNO)).replace(PHONE_NUMBER_ID, other_number)
    digest = hmac.new(APP_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}
    response = await stack.client.post(webhook_path(channel), content=body, headers=headers)
    assert response.status_code == 200


async def _next_event(lines: AsyncIterator[str]) -> dict[str, Any]:
    kind = ""
    async for line in lines:
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind == "message":
            data: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return data
    raise AssertionError("the stream ended without an event")
