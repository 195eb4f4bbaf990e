"""send_text of every adapter against a fake of its provider on 127.0.0.1."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest

from tests.fakes.providers import FakeEvolution, FakeGraphAPI, FakeProvider, FakeZApi, Reply
from vellarys.adapters.whatsapp import (
    EvolutionProvider,
    MetaCloudProvider,
    SimulatorProvider,
    ZApiProvider,
)
from vellarys.domain.ports import MediaSender, OutgoingFile, WhatsAppProvider
from vellarys.errors import OutsideServiceWindow, ProviderError

LEAD = "+55 41 9999-8888"  # an old eight-digit form: the adapters send the nine-digit one
TEXT = "Oi Ana! O apartamento do Batel ainda está disponível. Quer agendar uma visita?"
ACCESS_TOKEN = "EAAG-test-token"
PHONE_NUMBER_ID = "106540352242922"
ZAPI_INSTANCE, ZAPI_TOKEN, CLIENT_TOKEN = "3C4A1B2D5E6F", "A1B2C3D4E5F6", "F8d1a2b3c4d5S"
EVOLUTION_INSTANCE, EVOLUTION_KEY = "imobiliaria-batel", "B6D711FCDE4D4FD5"


@dataclass(frozen=True)
class Harness:
    name: str
    secret: str  # the credential the fake expects
    fake: Callable[[str], FakeProvider]
    build: Callable[[str, httpx.AsyncClient], WhatsAppProvider]


HARNESSES = [
    Harness(
        "meta",
        ACCESS_TOKEN,
        lambda secret: FakeGraphAPI(access_token=secret),
        lambda url, http: MetaCloudProvider(
            phone_number_id=PHONE_NUMBER_ID,
            access_token=ACCESS_TOKEN,
            app_secret="secret",
            graph_url=url,
            http=http,
        ),
    ),
    Harness(
        "zapi",
        CLIENT_TOKEN,
        lambda secret: FakeZApi(client_token=secret),
        lambda url, http: ZApiProvider(
            instance_id=ZAPI_INSTANCE,
            token=ZAPI_TOKEN,
            client_token=CLIENT_TOKEN,
            base_url=url,
            http=http,
        ),
    ),
    Harness(
        "evolution",
        EVOLUTION_KEY,
        lambda secret: FakeEvolution(api_key=secret),
        lambda url, http: EvolutionProvider(
            instance=EVOLUTION_INSTANCE, api_key=EVOLUTION_KEY, base_url=url, http=http
        ),
    ),
]
EACH = pytest.mark.parametrize("harness", HARNESSES, ids=lambda h: h.name)


@asynccontextmanager
async def connected(
    harness: Harness, *, http_timeout: float = 5.0, secret: str | None = None
) -> AsyncIterator[tuple[FakeProvider, WhatsAppProvider]]:
    with harness.fake(secret or harness.secret) as fake:
        async with httpx.AsyncClient(timeout=http_timeout) as http:
            yield fake, harness.build(fake.url, http)


async def send_error(channel: WhatsAppProvider, to: str = LEAD) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await channel.send_text(to=to, text=TEXT)
    error = caught.value
    assert error.__cause__ is None  # nothing from httpx travels with it
    return error


# What each provider receives -------------------------------------------------------------


async def test_meta_posts_the_text_to_the_graph_api_and_returns_the_wamid() -> None:
    async with connected(HARNESSES[0]) as (graph, meta):
        assert await meta.send_text(to=LEAD, text=TEXT) == "wamid.1"
        assert await meta.send_text(to=LEAD, text="Até logo") == "wamid.2"
    first = graph.sent[0]
    assert first.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert first.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert first.headers["content-type"] == "application/json"
    assert first.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5541999998888",
        "type": "text",
        "text": {"body": TEXT, "preview_url": False},
    }


async def test_zapi_posts_the_text_with_the_client_token_and_returns_the_message_id() -> None:
    async with connected(HARNESSES[1]) as (zapi, channel):
        message_id = await channel.send_text(to=LEAD, text=TEXT)
    [request] = zapi.sent
    assert message_id == "3EB00000000000000001"
    assert request.path == f"/instances/{ZAPI_INSTANCE}/token/{ZAPI_TOKEN}/send-text"
    assert request.headers["client-token"] == CLIENT_TOKEN
    assert request.body == {"phone": "5541999998888", "message": TEXT}


async def test_zapi_without_a_client_token_sends_no_header() -> None:
    with FakeZApi() as zapi:
        async with httpx.AsyncClient() as http:
            channel = ZApiProvider(
                instance_id=ZAPI_INSTANCE,
                token=ZAPI_TOKEN,
                client_token="",
                base_url=zapi.url,
                http=http,
            )
            await channel.send_text(to=LEAD, text=TEXT)
    assert "client-token" not in zapi.sent[0].headers


async def test_evolution_posts_the_text_with_the_apikey_and_returns_the_key_id() -> None:
    async with connected(HARNESSES[2]) as (evolution, channel):
        message_id = await channel.send_text(to=LEAD, text=TEXT)
    [request] = evolution.sent
    assert message_id == "BAE5000000000001"
    assert request.path == f"/message/sendText/{EVOLUTION_INSTANCE}"
    assert request.headers["apikey"] == EVOLUTION_KEY
    assert request.body == {"number": "5541999998888", "text": TEXT}


async def test_evolution_sends_a_file_as_base64_through_send_media() -> None:
    pdf = b"%PDF-1.4 brochure"
    file = OutgoingFile("document", pdf, "application/pdf", "folder.pdf", "O folder do prédio")
    async with connected(HARNESSES[2]) as (evolution, channel):
        assert isinstance(channel, MediaSender)
        message_id = await channel.send_file(to=LEAD, file=file)
    [request] = evolution.sent
    assert message_id == "BAE5000000000001"
    assert request.path == f"/message/sendMedia/{EVOLUTION_INSTANCE}"
    assert request.body == {
        "number": "5541999998888",
        "mediatype": "document",
        "mimetype": "application/pdf",
        "caption": "O folder do prédio",
        "fileName": "folder.pdf",
        "media": base64.b64encode(pdf).decode(),
    }


async def test_simulator_records_the_text_and_returns_a_simulated_id() -> None:
    simulator = SimulatorProvider()
    message_id = await simulator.send_text(to=LEAD, text=TEXT)
    assert message_id.startswith("sim-")
    [sent] = simulator.sent
    assert (sent.message_id, sent.to, sent.text) == (message_id, "+5541999998888", TEXT)


# The same error mapping everywhere -----------------------------------------------------


@EACH
@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_errors_and_rate_limits_are_retryable(harness: Harness, status: int) -> None:
    async with connected(harness) as (fake, channel):
        fake.script([status])
        error = await send_error(channel)
    assert error.retryable is True
    assert error.provider_status == status
    assert not isinstance(error, OutsideServiceWindow)


@EACH
async def test_a_rejected_request_is_not_retryable_and_says_why(harness: Harness) -> None:
    reasons = {
        "meta": "(#100) Invalid parameter",
        "zapi": "phone is not a valid WhatsApp number",
        "evolution": '"exists": false',
    }
    async with connected(harness) as (fake, channel):
        fake.script([400])
        error = await send_error(channel)
    assert error.retryable is False
    assert error.provider_status == 400
    assert reasons[harness.name] in error.message


@EACH
async def test_wrong_credentials_are_not_retryable(harness: Harness) -> None:
    async with connected(harness, secret="the-other-credential") as (_, channel):
        error = await send_error(channel)
    assert error.retryable is False
    assert error.provider_status in (401, 403)


@EACH
async def test_a_scripted_outage_then_recovery_delivers_once(harness: Harness) -> None:
    async with connected(harness) as (fake, channel):
        fake.script([500, 503, 200])
        for _ in range(2):
            assert (await send_error(channel)).retryable
        assert await channel.send_text(to=LEAD, text=TEXT)
    assert len(fake.sent) == 3


@EACH
async def test_a_timeout_is_retryable(harness: Harness) -> None:
    started = time.monotonic()
    async with connected(harness, http_timeout=0.2) as (fake, channel):
        fake.script([Reply(200, delay=10)])
        error = await send_error(channel)
    assert error.retryable is True
    assert "timed out" in error.message
    assert time.monotonic() - started < 5  # stopping the fake woke the delayed answer


@EACH
async def test_an_unreachable_provider_is_retryable(harness: Harness) -> None:
    fake = harness.fake(harness.secret)
    fake.stop()
    async with httpx.AsyncClient(timeout=2) as http:
        error = await send_error(harness.build(fake.url, http))
    assert error.retryable is True
    assert "unreachable" in error.message


@EACH
async def test_a_success_without_a_message_id_is_not_retried(harness: Harness) -> None:
    async with connected(harness) as (fake, channel):
        fake.script([Reply(200, {"ok": True})])
        error = await send_error(channel)
    assert error.retryable is False  # the message may have gone out: never send it twice
    assert "without a message id" in error.message


@EACH
async def test_an_invalid_recipient_is_refused_before_any_request(harness: Harness) -> None:
    async with connected(harness) as (fake, channel):
        error = await send_error(channel, to="não é telefone")
    assert error.retryable is False
    assert fake.sent == []


# Meta's own error codes ----------------------------------------------------------------


async def test_meta_re_engagement_error_is_outside_the_service_window() -> None:
    details = "Message failed to send because more than 24 hours have passed"
    async with connected(HARNESSES[0]) as (graph, meta):
        graph.script([FakeGraphAPI.error(131047, "Re-engagement message", details=details)])
        error = await send_error(meta)
    assert isinstance(error, OutsideServiceWindow)
    assert (error.retryable, error.provider_code, error.provider_status) == (False, "131047", 400)
    assert "Re-engagement message" in error.message
    assert details in error.message


@pytest.mark.parametrize("code", [130429, 131056])
async def test_meta_throughput_errors_sent_as_400_are_retryable(code: int) -> None:
    async with connected(HARNESSES[0]) as (graph, meta):
        graph.script([FakeGraphAPI.error(code, "Rate limit hit")])
        error = await send_error(meta)
    assert (error.retryable, error.provider_code) == (True, str(code))


async def test_meta_error_body_that_is_not_json_is_reported() -> None:
    async with connected(HARNESSES[0]) as (graph, meta):
        graph.script([Reply(502, "<html>Bad Gateway</html>")])
        error = await send_error(meta)
    assert error.retryable is True
    assert "Bad Gateway" in error.message


async def test_a_stopped_fake_leaves_no_thread_or_port_behind() -> None:
    before = threading.active_count()
    with FakeGraphAPI() as graph:
        graph.script([Reply(200, delay=30)])
        async with httpx.AsyncClient(timeout=0.1) as http:
            meta = HARNESSES[0].build(graph.url, http)
            await send_error(meta)
    assert threading.active_count() == before
    async with httpx.AsyncClient(timeout=1) as http:
        with pytest.raises(httpx.ConnectError):
            await http.post(graph.url)
