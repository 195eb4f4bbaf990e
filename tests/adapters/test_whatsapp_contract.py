"""Every WhatsApp adapter turns its provider's recorded payloads into the same model."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from vellarys.adapters.whatsapp import build_provider
from vellarys.adapters.whatsapp.meta_cloud import MetaCloudProvider, verify_subscription
from vellarys.domain.message import InboundMessage, WebhookBatch
from vellarys.domain.ports import WhatsAppProvider
from vellarys.errors import BadRequest, Forbidden, ProviderError, Unauthorized

PAYLOADS = Path(__file__).parent.parent / "payloads"
PHONE = "+5541999998888"
SENT_AT = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
CLIENT_TOKEN = "F8d1a2b3c4d5e6f7a8b9c0d1e2f3a4b5S"
EVOLUTION_KEY = "B6D711FCDE4D4FD5936544120E713976"
IDENTITIES = {
    "meta": "106540352242922",
    "zapi": "3C4A1B2D5E6F7A8B9C0D1E2F3A4B5C6D",
    "evolution": "imobiliaria-batel",
    "simulator": "simulator-demo",
}
CREDENTIALS = {
    "meta": {"access_token": "EAAG-test-token", "app_secret": APP_SECRET},
    "zapi": {"token": "A1B2C3D4E5F6A7B8C9D0E1F2", "client_token": CLIENT_TOKEN},
    "evolution": {"api_key": EVOLUTION_KEY, "base_url": "http://evolution.invalid"},
    "simulator": {},
}


@pytest.fixture(scope="module")
async def channels() -> AsyncIterator[dict[str, WhatsAppProvider]]:
    async with httpx.AsyncClient() as http:
        yield {
            name: build_provider(
                name,
                identity=IDENTITIES[name],
                credentials=CREDENTIALS[name],
                http=http,
                meta_graph_url="http://graph.invalid",
            )
            for name in IDENTITIES
        }


def body(provider: str, name: str) -> bytes:
    return (PAYLOADS / provider / name).read_bytes()


def parse(channels: dict[str, WhatsAppProvider], provider: str, name: str) -> WebhookBatch:
    return channels[provider].parse_webhook(body(provider, name))


def only_message(batch: WebhookBatch) -> InboundMessage:
    assert batch.statuses == []
    assert len(batch.messages) == 1
    return batch.messages[0]


# The same thing said through every provider --------------------------------------------

LOCATION_TEXT = "Imobiliária Batel - Av. do Batel, 1868 - Batel, Curitiba - PR"
EQUIVALENT: dict[str, tuple[str, str, dict[str, str], dict[str, Any]]] = {
    # case: (type, text, file per provider, media subset every provider reports)
    "text": (
        "text",
        "Olá! Vi o apartamento de 3 quartos no Batel. Ainda está disponível?",
        {"meta": "text.json", "zapi": "text.json", "evolution": "text_conversation.json"},
        {},
    ),
    "audio": (
        "audio",
        "",
        {"meta": "audio.json", "zapi": "audio.json", "evolution": "audio.json"},
        {"mime_type": "audio/ogg; codecs=opus", "voice": True},
    ),
    "image": (
        "image",
        "Essa é a fachada do prédio?",
        {"meta": "image.json", "zapi": "image.json", "evolution": "image.json"},
        {"mime_type": "image/jpeg", "caption": "Essa é a fachada do prédio?"},
    ),
    "video": (
        "video",
        "Tour pela área de lazer",
        {"meta": "video.json", "zapi": "video.json", "evolution": "video.json"},
        {"mime_type": "video/mp4"},
    ),
    "document": (
        "document",
        "Meu holerite",
        {"meta": "document.json", "zapi": "document.json", "evolution": "document.json"},
        {"mime_type": "application/pdf", "filename": "holerite-dezembro.pdf"},
    ),
    "sticker": (
        "sticker",
        "",
        {"meta": "sticker.json", "zapi": "sticker.json", "evolution": "sticker.json"},
        {"mime_type": "image/webp"},
    ),
    "location": (
        "location",
        LOCATION_TEXT,
        {"meta": "location.json", "zapi": "location.json", "evolution": "location.json"},
        {"latitude": -25.4425, "longitude": -49.2904, "name": "Imobiliária Batel"},
    ),
    "button reply": (
        "interactive",
        "Agendar visita",
        {
            "meta": "interactive_button_reply.json",
            "zapi": "buttons_response.json",
            "evolution": "buttons_response.json",
        },
        {"interactive_type": "button_reply", "reply_id": "agendar_visita"},
    ),
    "list reply": (
        "interactive",
        "R$ 700 a 900 mil",
        {
            "meta": "interactive_list_reply.json",
            "zapi": "list_response.json",
            "evolution": "list_response.json",
        },
        {"interactive_type": "list_reply", "reply_id": "faixa_700_900"},
    ),
    "contact card": (
        "contacts",
        "Carlos Souza",
        {"meta": "contacts.json", "zapi": "contact.json", "evolution": "contact.json"},
        {},
    ),
    "reaction": (
        "reaction",
        "👍",
        {"meta": "reaction.json", "zapi": "reaction.json", "evolution": "reaction.json"},
        {"emoji": "👍"},
    ),
}
EQUIVALENT_CASES = [
    pytest.param(case, provider, name, id=f"{case}-{provider}")
    for case, (_, _, files, _) in EQUIVALENT.items()
    for provider, name in files.items()
]


@pytest.mark.parametrize(("case", "provider", "name"), EQUIVALENT_CASES)
def test_equivalent_messages_parse_into_the_same_model(
    channels: dict[str, WhatsAppProvider], case: str, provider: str, name: str
) -> None:
    kind, text, _, media = EQUIVALENT[case]
    batch = parse(channels, provider, name)
    message = only_message(batch)
    assert batch.identity == IDENTITIES[provider]
    assert (message.phone, message.type, message.text) == (PHONE, kind, text)
    assert message.timestamp == SENT_AT
    assert message.name == "Ana Souza"
    assert message.from_me is False
    assert message.external_id
    assert media.items() <= message.media.items()


@pytest.mark.parametrize("provider", ["meta", "zapi", "evolution"])
def test_media_messages_say_where_to_fetch_the_file(
    channels: dict[str, WhatsAppProvider], provider: str
) -> None:
    message = only_message(parse(channels, provider, "audio.json"))
    assert message.media.get("media_id") or message.media.get("url")


@pytest.mark.parametrize("provider", ["meta", "zapi", "evolution"])
def test_a_reaction_names_the_message_reacted_to(
    channels: dict[str, WhatsAppProvider], provider: str
) -> None:
    message = only_message(parse(channels, provider, "reaction.json"))
    assert message.media["reacted_to"]


def test_the_simulator_speaks_the_same_model(channels: dict[str, WhatsAppProvider]) -> None:
    batch = parse(channels, "simulator", "text.json")
    message = only_message(batch)
    assert batch.identity == "simulator-demo"
    assert (message.phone, message.type, message.name) == (PHONE, "text", "Ana Souza")
    assert message.text == EQUIVALENT["text"][1]
    assert message.external_id == "sim-in-0001"
    assert message.timestamp.tzinfo is not None


# Meta ----------------------------------------------------------------------------------


def test_meta_batch_keeps_every_message_and_status_in_order(
    channels: dict[str, WhatsAppProvider],
) -> None:
    batch = parse(channels, "meta", "batch_two_messages_one_status.json")
    assert batch.identity == IDENTITIES["meta"]
    assert [m.text for m in batch.messages] == [
        "Bom dia!",
        "Tenho interesse no imóvel da Rua Comendador Araújo.",
    ]
    assert [m.timestamp.second for m in batch.messages] == [0, 3]
    assert {m.phone for m in batch.messages} == {PHONE}
    [status] = batch.statuses
    assert (status.status, status.timestamp.second) == ("delivered", 1)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("status_sent.json", "sent"),
        ("status_delivered.json", "delivered"),
        ("status_read.json", "read"),
        ("status_failed.json", "failed"),
    ],
)
def test_meta_statuses_map_to_delivery_statuses(
    channels: dict[str, WhatsAppProvider], name: str, status: str
) -> None:
    batch = parse(channels, "meta", name)
    assert batch.messages == []
    [update] = batch.statuses
    assert update.status == status
    assert update.external_id.startswith("wamid.")
    assert update.timestamp > SENT_AT


def test_a_failed_meta_status_carries_the_error(channels: dict[str, WhatsAppProvider]) -> None:
    [update] = parse(channels, "meta", "status_failed.json").statuses
    assert update.error_code == "131047"
    assert update.error is not None
    assert update.error.startswith("Re-engagement message: ")
    assert "24 hours" in update.error


def test_meta_quick_reply_button_is_an_interactive_reply(
    channels: dict[str, WhatsAppProvider],
) -> None:
    message = only_message(parse(channels, "meta", "button.json"))
    assert (message.type, message.text) == ("interactive", "Quero visitar")
    assert message.media["reply_id"] == "QUERO_VISITAR"
    assert message.media["reply_to"].startswith("wamid.")


def test_meta_media_carries_its_id_and_checksum(channels: dict[str, WhatsAppProvider]) -> None:
    message = only_message(parse(channels, "meta", "document.json"))
    assert message.media["media_id"] == "1125869332109877"
    assert message.media["sha256"]


def test_meta_unsupported_message_is_unknown(channels: dict[str, WhatsAppProvider]) -> None:
    message = only_message(parse(channels, "meta", "unsupported.json"))
    assert (message.type, message.text) == ("unknown", "")
    assert message.media == {"original_type": "unsupported", "error_code": "131051"}


def test_meta_message_from_an_ad_keeps_the_referral(
    channels: dict[str, WhatsAppProvider],
) -> None:
    message = only_message(parse(channels, "meta", "text_from_ad.json"))
    assert message.media["referral"]["headline"] == "Apartamento 3 quartos no Batel"


def test_meta_events_other_than_messages_are_an_empty_batch(
    channels: dict[str, WhatsAppProvider],
) -> None:
    assert parse(channels, "meta", "account_update.json") == WebhookBatch(None)


def test_meta_batch_naming_two_phone_numbers_is_refused(
    channels: dict[str, WhatsAppProvider],
) -> None:
    with pytest.raises(BadRequest, match="several phone numbers"):
        parse(channels, "meta", "malformed_two_phone_numbers.json")


# Z-API ---------------------------------------------------------------------------------


def test_zapi_echo_of_the_agency_phone_is_from_me(channels: dict[str, WhatsAppProvider]) -> None:
    message = only_message(parse(channels, "zapi", "text_from_me.json"))
    assert (message.phone, message.from_me, message.name) == (PHONE, True, None)


@pytest.mark.parametrize("name", ["group_text.json", "lid_only.json"])
def test_zapi_group_and_phoneless_messages_are_skipped(
    channels: dict[str, WhatsAppProvider], name: str
) -> None:
    assert parse(channels, "zapi", name) == WebhookBatch(IDENTITIES["zapi"])


@pytest.mark.parametrize(
    ("name", "status", "count"),
    [
        ("status_sent.json", "sent", 1),
        ("status_received.json", "delivered", 1),
        ("status_read.json", "read", 2),
        ("status_played.json", "read", 1),
        ("status_read_by_me.json", None, 0),
    ],
)
def test_zapi_statuses_map_to_delivery_statuses(
    channels: dict[str, WhatsAppProvider], name: str, status: str | None, count: int
) -> None:
    batch = parse(channels, "zapi", name)
    assert batch.identity == IDENTITIES["zapi"]
    assert len(batch.statuses) == count
    assert {s.status for s in batch.statuses} == ({status} if status else set())
    assert all(s.timestamp > SENT_AT for s in batch.statuses)


def test_zapi_other_callbacks_are_an_empty_batch(channels: dict[str, WhatsAppProvider]) -> None:
    assert parse(channels, "zapi", "connected.json") == WebhookBatch(IDENTITIES["zapi"])


@pytest.mark.parametrize(
    ("name", "kind", "text", "media"),
    [
        (
            "template.json",
            "text",
            "Visita confirmada\nSua visita ao AP1102 está confirmada para sábado às 10h."
            "\nImobiliária Batel",
            {"template_id": "790118069824606", "buttons": ["Confirmar", "Ver imóvel"]},
        ),
        (
            "buttons_message.json",
            "text",
            "Quer agendar uma visita ao AP1102?",
            {"buttons": ["Sim, quero visitar", "Agora não"]},
        ),
        ("call_missed.json", "call", "", {"call": "missed", "video": False}),
        ("call_received.json", "call", "", {"call": "received", "video": False}),
        (
            "live_location.json",
            "location",
            "Estou aqui no Batel",
            {"latitude": -25.4425, "longitude": -49.2904, "live": True},
        ),
        ("ptv.json", "video", "", {"mime_type": "video/mp4"}),
    ],
)
def test_zapi_templates_buttons_calls_live_locations_and_video_notes_keep_their_content(
    channels: dict[str, WhatsAppProvider],
    name: str,
    kind: str,
    text: str,
    media: dict[str, Any],
) -> None:
    message = only_message(parse(channels, "zapi", name))
    assert (message.phone, message.type, message.text) == (PHONE, kind, text)
    assert media.items() <= message.media.items()


@pytest.mark.parametrize("provider", ["zapi", "evolution"])
def test_click_to_whatsapp_ad_data_is_kept_as_a_referral(
    channels: dict[str, WhatsAppProvider], provider: str
) -> None:
    message = only_message(parse(channels, provider, "text_from_ad.json"))
    assert message.text == "Olá! Tenho interesse nesse apartamento."
    assert (
        message.media["referral"].items()
        >= {
            "source_url": "https://fb.me/batel-ad",
            "source_id": "23722824350495506",
            "source_type": "ad",
            "headline": "Apartamentos no Batel",
            "body": "3 quartos, 2 vagas, a partir de R$ 890 mil",
            "media_type": "1",
        }.items()
    )


@pytest.mark.parametrize(
    ("name", "outcome"), [("call_missed.json", "missed"), ("call_offer.json", "received")]
)
def test_evolution_calls_are_messages_of_type_call(
    channels: dict[str, WhatsAppProvider], name: str, outcome: str
) -> None:
    message = only_message(parse(channels, "evolution", name))
    assert (message.phone, message.type, message.text) == (PHONE, "call", "")
    assert message.media == {
        "call": outcome,
        "video": False,
        "call_id": "B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6",
    }
    assert message.external_id.endswith(outcome)  # the ring and the miss are two records


# Evolution -----------------------------------------------------------------------------


def test_evolution_extended_text_is_text(channels: dict[str, WhatsAppProvider]) -> None:
    message = only_message(parse(channels, "evolution", "text_extended.json"))
    assert (message.type, message.phone) == ("text", PHONE)
    assert message.text.startswith("Vocês têm casas")


def test_evolution_own_message_is_from_me(channels: dict[str, WhatsAppProvider]) -> None:
    message = only_message(parse(channels, "evolution", "from_me.json"))
    assert (message.phone, message.from_me, message.name) == (PHONE, True, None)


def test_evolution_echo_of_an_api_send_is_from_me(channels: dict[str, WhatsAppProvider]) -> None:
    message = only_message(parse(channels, "evolution", "send_message.json"))
    assert (message.external_id, message.from_me, message.name) == ("BAE5A1B2C3D4E5F6", True, None)
    assert message.text.startswith("Temos 3 opções")


def test_evolution_privacy_id_uses_the_alternative_phone(
    channels: dict[str, WhatsAppProvider],
) -> None:
    message = only_message(parse(channels, "evolution", "lid_with_alt.json"))
    assert message.phone == PHONE


def test_evolution_privacy_id_without_phone_is_skipped_and_logged(
    channels: dict[str, WhatsAppProvider], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="vellarys.adapters.whatsapp.evolution"):
        batch = parse(channels, "evolution", "lid_without_alt.json")
    assert batch == WebhookBatch("imobiliaria-batel")
    assert "3EB0L1D2A3L4T5000002" in caplog.text


def test_evolution_group_message_is_skipped(channels: dict[str, WhatsAppProvider]) -> None:
    assert parse(channels, "evolution", "group.json").messages == []


def test_evolution_protocol_housekeeping_is_a_system_notice(
    channels: dict[str, WhatsAppProvider],
) -> None:
    message = only_message(parse(channels, "evolution", "protocol_message.json"))
    assert (message.type, message.media) == ("system", {"system_type": "EPHEMERAL_SETTING"})


EDITED = "Olá! Vi o apartamento de 3 quartos no Batel. Ele aceita financiamento?"
META_TEXT_ID = "wamid.HBgMNTU0MTk5OTk4ODg4FQIAEhggM0VCMDQxQjZBN0Q4QzlFMEYxQTI="
EVOLUTION_TEXT_ID = "3EB0A1B2C3D4E5F60718"


@pytest.mark.parametrize(
    ("provider", "name", "kind", "text", "media"),
    [
        ("meta", "edit.json", "edit", EDITED, {"target": META_TEXT_ID, "as": "text"}),
        ("meta", "revoke.json", "revoke", "", {"target": META_TEXT_ID}),
        (
            "meta",
            "system_changed_number.json",
            "system",
            "Ana Souza changed from 554199998888 to 5541988887777",
            {"system_type": "user_changed_number", "new_phone": "+5541988887777"},
        ),
        (
            "meta",
            "interactive_with_errors.json",
            "unknown",
            "",
            {"original_type": "interactive", "error_code": "131051"},
        ),
        (
            "evolution",
            "protocol_edit.json",
            "edit",
            EDITED,
            {"target": EVOLUTION_TEXT_ID, "as": "text"},
        ),
        ("evolution", "protocol_revoke.json", "revoke", "", {"target": EVOLUTION_TEXT_ID}),
        ("evolution", "messages_delete.json", "revoke", "", {"target": EVOLUTION_TEXT_ID}),
        (
            "evolution",
            "ptv.json",
            "video",
            "",
            {
                "url": "https://mmg.whatsapp.net/v/t62.7161-24/ptv.enc",
                "mime_type": "video/mp4",
                "seconds": 7,
            },
        ),
    ],
)
def test_edits_deletions_notices_and_video_notes_parse(
    channels: dict[str, WhatsAppProvider],
    provider: str,
    name: str,
    kind: str,
    text: str,
    media: dict[str, Any],
) -> None:
    message = only_message(parse(channels, provider, name))
    assert (message.type, message.text, message.media) == (kind, text, media)
    assert message.phone == PHONE and not message.from_me


def test_meta_business_app_echo_is_the_agency_writing(
    channels: dict[str, WhatsAppProvider],
) -> None:
    message = only_message(parse(channels, "meta", "smb_message_echo.json"))
    assert message.from_me and message.phone == PHONE
    assert message.text.startswith("Oi Ana, aqui é o Marcos")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("status_server_ack.json", "sent"),
        ("status_delivery_ack.json", "delivered"),
        ("status_read.json", "read"),
        ("status_played.json", "read"),
        ("status_error.json", "failed"),
    ],
)
def test_evolution_statuses_map_to_delivery_statuses(
    channels: dict[str, WhatsAppProvider], name: str, status: str
) -> None:
    batch = parse(channels, "evolution", name)
    [update] = batch.statuses
    assert (update.external_id, update.status) == ("3EB0B8A9C7D6E5F40314", status)
    assert update.timestamp == datetime(2026, 1, 1, 10, 0, 5, 512000, tzinfo=UTC)


def test_evolution_status_of_the_leads_own_message_is_ignored(
    channels: dict[str, WhatsAppProvider],
) -> None:
    assert parse(channels, "evolution", "status_incoming_read.json").statuses == []


def test_evolution_other_events_are_an_empty_batch(
    channels: dict[str, WhatsAppProvider],
) -> None:
    assert parse(channels, "evolution", "connection_update.json") == WebhookBatch(
        "imobiliaria-batel"
    )


# Simulator -----------------------------------------------------------------------------


def test_simulator_generates_an_id_when_none_is_given(
    channels: dict[str, WhatsAppProvider],
) -> None:
    first = only_message(parse(channels, "simulator", "text_without_id.json"))
    second = only_message(parse(channels, "simulator", "text_without_id.json"))
    assert first.phone == PHONE
    assert first.external_id != second.external_id
    assert first.name is None


# Malformed payloads --------------------------------------------------------------------

MALFORMED = [
    pytest.param(provider, path.name, id=f"{provider}-{path.stem}")
    for provider in IDENTITIES
    for path in sorted((PAYLOADS / provider).glob("malformed_*"))
]


def test_every_provider_has_malformed_payloads() -> None:
    assert {p.values[0] for p in MALFORMED} == set(IDENTITIES)


def refusal(channels: dict[str, WhatsAppProvider], provider: str, name: str) -> str:
    """Why a malformed payload is refused: a 400 for the whole body, or, when only a message
    is malformed, that message rejected (kept with its raw payload) and nothing else read."""
    try:
        batch = parse(channels, provider, name)
    except BadRequest as exc:
        assert exc.status_code == 400
        return exc.message
    assert batch.messages == [] and len(batch.rejected) == 1
    assert batch.rejected[0].raw
    return batch.rejected[0].reason


@pytest.mark.parametrize(("provider", "name"), MALFORMED)
def test_malformed_payloads_are_refused_with_a_message(
    channels: dict[str, WhatsAppProvider], provider: str, name: str
) -> None:
    assert len(refusal(channels, provider, name)) > 10


@pytest.mark.parametrize(
    ("provider", "name", "says"),
    [
        ("meta", "malformed_missing_from.json", r"messages\[0\]\.from is missing"),
        ("meta", "malformed_bad_timestamp.json", r"timestamp must be a unix timestamp"),
        ("meta", "malformed_not_json.txt", "not JSON"),
        ("zapi", "malformed_missing_phone.json", r"zapi\.phone is missing"),
        ("zapi", "malformed_status_ids_not_list.json", r"zapi\.ids must be a list"),
        ("evolution", "malformed_missing_key.json", r"evolution\.data\.key is missing"),
        ("simulator", "malformed_bad_phone.json", "not a phone number"),
    ],
)
def test_bad_request_messages_name_the_field(
    channels: dict[str, WhatsAppProvider], provider: str, name: str, says: str
) -> None:
    assert re.search(says, refusal(channels, provider, name))


# Authenticity --------------------------------------------------------------------------


def sign(payload: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def test_meta_accepts_a_valid_signature_under_any_header_case(
    channels: dict[str, WhatsAppProvider],
) -> None:
    payload = body("meta", "text.json")
    for name in ("X-Hub-Signature-256", "x-hub-signature-256", "X-HUB-SIGNATURE-256"):
        channels["meta"].verify_request(payload, {name: sign(payload)})


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Hub-Signature-256": ""}, id="empty"),
        pytest.param({"X-Hub-Signature-256": sign(b"x", "other-secret")}, id="forged"),
        pytest.param({"X-Hub-Signature": "sha1=" + "0" * 40}, id="sha1-only"),
        pytest.param({"X-Hub-Signature-256": "sha256=zzzz"}, id="not-hex"),
        pytest.param({"X-Hub-Signature-256": "sha256=ünïcode"}, id="non-ascii"),
    ],
)
def test_meta_refuses_missing_or_forged_signatures(
    channels: dict[str, WhatsAppProvider], headers: dict[str, str]
) -> None:
    with pytest.raises(Unauthorized):
        channels["meta"].verify_request(body("meta", "text.json"), headers)


def test_meta_refuses_a_tampered_body(channels: dict[str, WhatsAppProvider]) -> None:
    payload = body("meta", "text.json")
    tampered = payload.replace(b"554199998888", b"554188887777")
    assert tampered != payload
    with pytest.raises(Unauthorized):
        channels["meta"].verify_request(tampered, {"X-Hub-Signature-256": sign(payload)})


async def test_meta_refuses_every_request_when_the_app_secret_is_empty() -> None:
    async with httpx.AsyncClient() as http:
        meta = MetaCloudProvider(
            phone_number_id="1", access_token="t", app_secret="", graph_url="http://g", http=http
        )
        with pytest.raises(Unauthorized):
            meta.verify_request(b"{}", {"X-Hub-Signature-256": sign(b"{}", "")})


def test_meta_subscription_handshake_returns_the_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "v3rify", "hub.challenge": "1158201444"}
    assert verify_subscription(params, "v3rify") == "1158201444"


@pytest.mark.parametrize(
    ("params", "token", "error"),
    [
        (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            "ok",
            Forbidden,
        ),
        (
            {"hub.mode": "unsubscribe", "hub.verify_token": "ok", "hub.challenge": "1"},
            "ok",
            Forbidden,
        ),
        ({"hub.verify_token": "ok", "hub.challenge": "1"}, "ok", Forbidden),
        ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, "", Forbidden),
        ({"hub.mode": "subscribe", "hub.verify_token": "ok"}, "ok", BadRequest),
    ],
)
def test_meta_subscription_handshake_refuses_the_wrong_token(
    params: dict[str, str], token: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        verify_subscription(params, token)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Client-Token": CLIENT_TOKEN}, id="client-token"),
        pytest.param({"z-api-token": CLIENT_TOKEN}, id="z-api-token"),
    ],
)
def test_zapi_accepts_requests_with_the_right_token(
    channels: dict[str, WhatsAppProvider], headers: dict[str, str]
) -> None:
    channels["zapi"].verify_request(body("zapi", "text.json"), headers)


def test_zapi_refuses_a_request_with_no_token_header_when_the_channel_has_one(
    channels: dict[str, WhatsAppProvider],
) -> None:
    with pytest.raises(Unauthorized):
        channels["zapi"].verify_request(body("zapi", "text.json"), {})


def test_zapi_without_a_client_token_accepts_requests_with_no_header() -> None:
    provider = build_provider(
        "zapi",
        identity="3C4A1B2D5E6F7A8B9C0D1E2F3A4B5C6D",
        credentials={"token": "tok", "client_token": ""},
        http=httpx.AsyncClient(),
        meta_graph_url="http://127.0.0.1:9",
    )
    provider.verify_request(body("zapi", "text.json"), {})


@pytest.mark.parametrize("name", ["z-api-token", "Z-Api-Token", "client-token", "CLIENT-TOKEN"])
def test_zapi_refuses_a_wrong_token_header(
    channels: dict[str, WhatsAppProvider], name: str
) -> None:
    with pytest.raises(Unauthorized):
        channels["zapi"].verify_request(body("zapi", "text.json"), {name: "forged"})


def test_evolution_accepts_its_own_apikey(channels: dict[str, WhatsAppProvider]) -> None:
    payload = body("evolution", "text_conversation.json")
    channels["evolution"].verify_request(payload, {})
    channels["evolution"].verify_request(payload, {"apikey": EVOLUTION_KEY})


def test_evolution_without_any_apikey_is_accepted(channels: dict[str, WhatsAppProvider]) -> None:
    data = json.loads(body("evolution", "text_conversation.json"))
    del data["apikey"]
    channels["evolution"].verify_request(json.dumps(data).encode(), {})


@pytest.mark.parametrize(
    ("apikey", "headers"),
    [
        pytest.param("0000FORGED0000", {}, id="forged-body"),
        pytest.param("", {}, id="empty-body"),
        pytest.param(EVOLUTION_KEY, {"apikey": "forged"}, id="forged-header"),
    ],
)
def test_evolution_refuses_another_apikey(
    channels: dict[str, WhatsAppProvider], apikey: str, headers: dict[str, str]
) -> None:
    data = json.loads(body("evolution", "text_conversation.json"))
    data["apikey"] = apikey
    with pytest.raises(Unauthorized):
        channels["evolution"].verify_request(json.dumps(data).encode(), headers)


def test_simulator_accepts_any_request(channels: dict[str, WhatsAppProvider]) -> None:
    channels["simulator"].verify_request(b"anything", {})


# Factory -------------------------------------------------------------------------------


async def test_factory_refuses_unknown_providers_and_missing_credentials() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ProviderError, match="unknown WhatsApp provider"):
            build_provider(
                "telegram", identity="x", credentials={}, http=http, meta_graph_url="http://g"
            )
        with pytest.raises(ProviderError, match="app_secret"):
            build_provider(
                "meta",
                identity="1",
                credentials={"access_token": "t"},
                http=http,
                meta_graph_url="http://g",
            )


def test_factory_builds_each_provider(channels: dict[str, WhatsAppProvider]) -> None:
    assert {name: channel.provider for name, channel in channels.items()} == {
        name: name for name in IDENTITIES
    }
