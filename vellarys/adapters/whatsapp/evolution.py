"""Evolution API, the self-hosted open-source WhatsApp gateway (v2 webhook format).

Evolution does not sign webhooks; it puts the instance's API key (its token) in the body as
``apikey``. ``verify_request`` rejects a body or an ``apikey`` header carrying another key and
accepts requests carrying none (the webhook URL is then the secret), so configure the channel
with the instance token, which Evolution also accepts for sending.

WhatsApp's privacy ids (``...@lid``) are not phone numbers. A message from one is read with
the phone in ``remoteJidAlt`` or ``senderPn``; when neither is there, the message is skipped
and logged rather than refused, because a 4xx makes Evolution retry a payload that will
never parse, and one unreadable message must not hold back the rest.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx

from vellarys.adapters.whatsapp import evolution_records as records
from vellarys.adapters.whatsapp.evolution_calls import read_call
from vellarys.adapters.whatsapp.payload import (
    Node,
    ad_referral,
    compact,
    header,
    joined,
    load,
    read_messages,
    read_statuses,
)
from vellarys.adapters.whatsapp.registry import ChannelConfig, CredentialField, ProviderSpec
from vellarys.adapters.whatsapp.transport import http_error, post_json, unexpected_answer
from vellarys.domain.media import FetchedMedia, MediaRefused
from vellarys.domain.message import (
    DeliveryStatus,
    InboundMessage,
    MessageType,
    StatusUpdate,
    WebhookBatch,
)
from vellarys.domain.phone import normalize_phone
from vellarys.domain.ports import OutgoingFile
from vellarys.errors import BadRequest, ProviderError, Unauthorized

log = logging.getLogger(__name__)

PROVIDER = "evolution"
_NOT_PEOPLE = ("@g.us", "@broadcast", "@newsletter")
# Names from Evolution, numbers from the Baileys enum it wraps; PENDING is not news.
_STATUSES: dict[str | int, DeliveryStatus] = {
    "SERVER_ACK": "sent",
    "DELIVERY_ACK": "delivered",
    "READ": "read",
    "PLAYED": "read",
    "ERROR": "failed",
    0: "failed",
    2: "sent",
    3: "delivered",
    4: "read",
    5: "read",
}
Content = tuple[MessageType, str, dict[str, Any]]


def parse_webhook(body: bytes) -> WebhookBatch:
    """Parse an Evolution webhook; ``identity`` is the instance name."""
    root = load(body, PROVIDER)
    # "messages.upsert", or "MESSAGES_UPSERT" when webhooks are split by event
    event = root["event"].text().lower().replace("_", ".")
    identity = root["instance"].text()
    # "send.message" is Evolution's echo of what its API sent: ours, read like a fromMe message.
    if event in ("messages.upsert", "send.message"):
        messages, rejected = read_messages(_records(root["data"]), _message)
        return WebhookBatch(identity, messages, rejected=rejected)
    if event == "messages.delete":
        messages, rejected = read_messages(_records(root["data"]), _deleted)
        return WebhookBatch(identity, messages, rejected=rejected)
    if event == "call":
        when = _event_time(root)
        messages, rejected = read_messages(_records(root["data"]), partial(read_call, when=when))
        return WebhookBatch(identity, messages, rejected=rejected)
    if event == "messages.update":
        when = _event_time(root)
        statuses = read_statuses(_records(root["data"]), partial(_status, when=when))
        return WebhookBatch(identity, statuses=statuses)
    return WebhookBatch(identity)


class EvolutionProvider:
    """One Evolution API instance."""

    provider = PROVIDER

    def __init__(self, *, instance: str, api_key: str, base_url: str, http: httpx.AsyncClient):
        self.instance = instance
        self._api_key = api_key
        self._url = f"{base_url.rstrip('/')}/message/sendText/{instance}"
        self._file_url = f"{base_url.rstrip('/')}/message/sendMedia/{instance}"
        self._media_url = f"{base_url.rstrip('/')}/chat/getBase64FromMediaMessage/{instance}"
        self._find_url = f"{base_url.rstrip('/')}/chat/findMessages/{instance}"
        self._http = http

    def verify_request(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Reject a request that carries an API key other than the channel's (see module doc)."""
        given = [key for key in (header(headers, "apikey"), _body_apikey(body)) if key is not None]
        expected = self._api_key.encode()
        for key in given:
            if not hmac.compare_digest(key.encode(), expected):
                raise Unauthorized("the webhook's apikey does not match this channel")

    def parse_webhook(self, body: bytes) -> WebhookBatch:
        return parse_webhook(body)

    async def fetch_media(
        self, *, external_id: str, media: Mapping[str, Any], max_bytes: int
    ) -> FetchedMedia:
        """WhatsApp's media URLs are encrypted: Evolution decrypts and answers base64."""
        answer = await post_json(
            self._http,
            self._media_url,
            provider=PROVIDER,
            headers={"apikey": self._api_key},
            payload={"message": {"key": {"id": external_id}}, "convertToMp4": False},
            read_error=_read_error,
        )
        encoded = answer.get("base64") if isinstance(answer, dict) else None
        if not isinstance(encoded, str) or not encoded:
            raise ProviderError(f"{PROVIDER} answered without the media's bytes")
        if len(encoded) > max_bytes * 4 // 3 + 4:
            raise MediaRefused(f"the file has more than {max_bytes} bytes")
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ProviderError(f"{PROVIDER} answered media that is not base64") from None
        return FetchedMedia(data, str(answer.get("mimetype") or media.get("mime_type") or ""))

    async def send_text(self, *, to: str, text: str, reference: str | None = None) -> str:
        return await self._send(self._url, {"number": _number(to), "text": text})

    async def send_file(self, *, to: str, file: OutgoingFile) -> str:
        """``sendMedia`` with the file as base64 (Evolution uploads it to WhatsApp)."""
        payload = {
            "number": _number(to),
            "mediatype": file.kind,
            "mimetype": file.content_type,
            "caption": file.caption,
            "fileName": file.filename,
            "media": base64.b64encode(file.data).decode("ascii"),
        }
        return await self._send(self._file_url, payload)

    async def _send(self, url: str, payload: dict[str, Any]) -> str:
        answer = await post_json(
            self._http,
            url,
            provider=PROVIDER,
            headers={"apikey": self._api_key},
            payload=payload,
            read_error=_read_error,
        )
        record: Any = answer.get("data", answer) if isinstance(answer, dict) else None
        try:
            message_id = record["key"]["id"]
        except (KeyError, TypeError):
            raise unexpected_answer(PROVIDER, answer) from None
        if not isinstance(message_id, str) or not message_id:
            raise unexpected_answer(PROVIDER, answer)
        return message_id

    async def find_sent(self, *, to: str, text: str, since: datetime) -> str | None:
        """Evolution's id of ``text`` sent to ``to`` since ``since``, from its own records."""
        try:
            number = normalize_phone(to).removeprefix("+")
        except ValueError as exc:
            raise ProviderError(f"cannot look up {to!r}: {exc}") from None
        for chat_id in records.chat_ids(number):
            answer = await post_json(
                self._http,
                self._find_url,
                provider=PROVIDER,
                headers={"apikey": self._api_key},
                payload=records.query(chat_id),
                read_error=_read_error,
            )
            found = records.matching_id(answer, text=text, since=since)
            if found is not None:
                return found
        return None


def _number(to: str) -> str:
    try:
        return normalize_phone(to).removeprefix("+")
    except ValueError as exc:
        raise ProviderError(f"cannot send to {to!r}: {exc}") from None


def _body_apikey(body: bytes) -> str | None:
    try:
        root = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # parse_webhook refuses it
    apikey = root.get("apikey") if isinstance(root, dict) else None
    return apikey if isinstance(apikey, str) else None


def _read_error(status: int, body: Any) -> ProviderError:
    if not isinstance(body, dict):
        return http_error(PROVIDER, status, str(body)[:200] or "no details")
    response = body.get("response")
    detail = response.get("message") if isinstance(response, dict) else body.get("message")
    if isinstance(detail, list):
        detail = "; ".join(item if isinstance(item, str) else json.dumps(item) for item in detail)
    error = body.get("error")
    message = joined(None if error is None else str(error), None if detail is None else str(detail))
    return http_error(PROVIDER, status, message or "no details")


def _records(data: Node) -> list[Node]:
    return data.items() if isinstance(data.value, list) else [data]


def _message(data: Node) -> InboundMessage | None:
    key = data["key"]
    external_id = key["id"].text()
    jid = key["remoteJid"].text()
    if jid.endswith(_NOT_PEOPLE):
        log.info("evolution: skipping group/broadcast message %s", external_id)
        return None
    phone_node = _phone_node(key, data) if jid.endswith("@lid") else key["remoteJid"]
    if phone_node is None:
        log.warning("evolution: skipping message %s from %s: no phone number", external_id, jid)
        return None
    from_me = key.opt_flag("fromMe")
    message = data.get("message")
    kind, text, media = _content(message, data.opt_text("messageType"))
    ad = _ad_of(data, message)
    if ad is not None:  # the lead came from a click-to-WhatsApp ad
        media = {**media, "referral": ad_referral(ad)}
    return InboundMessage(
        external_id=external_id,
        phone=phone_node.phone(),
        type=kind,
        text=text,
        timestamp=data["messageTimestamp"].timestamp(),
        # On an echo of the agency's own message, pushName is the agency's.
        name=None if from_me else data.opt_text("pushName"),
        media=media,
        from_me=from_me,
    )


def _ad_of(data: Node, message: Node | None) -> Node | None:
    """``externalAdReply`` from the record's ``contextInfo`` or its message's."""
    holders = [data] + ([] if message is None else [n for n in _inner(message)])
    for holder in holders:
        context = holder.get("contextInfo")
        if context is not None and isinstance(context.value, dict):
            ad = context.get("externalAdReply")
            if ad is not None and isinstance(ad.value, dict):
                return ad
    return None


def _inner(message: Node) -> list[Node]:
    if not isinstance(message.value, dict):
        return []
    return [
        n for k in message.value if (n := message.get(k)) is not None and isinstance(n.value, dict)
    ]


def _deleted(data: Node) -> InboundMessage | None:
    """``messages.delete``: the lead deleted a message for everyone (the key is the message)."""
    key = data["key"] if data.has("key") else data
    external_id = key["id"].text()
    jid = key["remoteJid"].text()
    if jid.endswith(_NOT_PEOPLE) or key.opt_flag("fromMe"):
        return None
    phone_node = _phone_node(key, data) if jid.endswith("@lid") else key["remoteJid"]
    if phone_node is None:
        return None
    return InboundMessage(
        external_id=f"revoke:{external_id}",
        phone=phone_node.phone(),
        type="revoke",
        text="",
        timestamp=datetime.now(UTC),
        media={"target": external_id},
    )


def _phone_node(key: Node, data: Node) -> Node | None:
    """The phone behind a privacy id, where Evolution/Baileys reports it."""
    for holder, field in ((key, "remoteJidAlt"), (key, "senderPn"), (data, "senderPn")):
        node = holder.get(field)
        if node is not None and isinstance(node.value, str) and not node.value.endswith("@lid"):
            return node
    return None


def _content(message: Node | None, message_type: str | None) -> Content:
    if message is not None:
        for key, reader in _READERS.items():
            node = message.get(key)
            if node is not None:
                return reader(node)
    return "unknown", "", compact(original_type=message_type)


def _conversation(node: Node) -> Content:
    return "text", node.text(), {}


def _extended_text(node: Node) -> Content:
    return "text", node["text"].text(), {}


def _media_reader(kind: MessageType) -> Callable[[Node], Content]:
    def read(node: Node) -> Content:
        caption = node.opt_text("caption")
        seconds = node.opt_number("seconds")
        media = compact(
            url=node.opt_text("url"),
            mime_type=node.opt_text("mimetype"),
            caption=caption,
            filename=node.opt_text("fileName"),
            seconds=None if seconds is None else int(seconds),
            voice=node["ptt"].flag() if node.has("ptt") else None,
        )
        return kind, caption or "", media

    return read


def _document_with_caption(node: Node) -> Content:
    return _media_reader("document")(node["message"]["documentMessage"])


def _location(node: Node) -> Content:
    name, address = node.opt_text("name"), node.opt_text("address")
    media = compact(
        latitude=node["degreesLatitude"].number(),
        longitude=node["degreesLongitude"].number(),
        name=name,
        address=address,
    )
    return "location", joined(name, address), media


def _contact(node: Node) -> Content:
    name = node.opt_text("displayName")
    card = compact(name=name, vcard=node.opt_text("vcard"))
    return "contacts", name or "", {"contacts": [card]}


def _contacts_array(node: Node) -> Content:
    cards = [_contact(item)[2]["contacts"][0] for item in node["contacts"].items()]
    names = [card.get("name") for card in cards]
    return "contacts", joined(*names, sep=", "), {"contacts": cards}


def _reaction(node: Node) -> Content:
    emoji = node.opt_text("text") or ""  # an empty text removes the reaction
    return "reaction", emoji, {"emoji": emoji, "reacted_to": node["key"]["id"].text()}


# protocolMessage types, by name (Evolution) or by number (the Baileys enum).
_REVOKE = ("REVOKE", 0)
_MESSAGE_EDIT = ("MESSAGE_EDIT", 14)


def _protocol(node: Node) -> Content:
    """A deletion or an edit of an earlier message; other protocol notices (disappearing
    messages switched on, history sync) are WhatsApp's housekeeping."""
    kind = node.get("type")
    value = None if kind is None else kind.value
    key = node.get("key")
    target = None if key is None else key.opt_text("id")
    if value in _REVOKE and target:
        return "revoke", "", {"target": target}
    edited = node.get("editedMessage")
    if value in _MESSAGE_EDIT and target and edited is not None:
        as_kind, text, media = _content(edited, None)
        return "edit", text, {**media, "target": target, "as": as_kind}
    return "system", "", compact(system_type=None if value is None else str(value))


def _edited(node: Node) -> Content:
    """The wrapper some Evolution versions put around an edit's protocolMessage."""
    return _content(node.get("message"), "editedMessage")


def _buttons_response(node: Node) -> Content:
    media = compact(interactive_type="button_reply", reply_id=node.opt_text("selectedButtonId"))
    return "interactive", node.opt_text("selectedDisplayText") or "", media


def _template_button_reply(node: Node) -> Content:
    media = compact(interactive_type="button_reply", reply_id=node.opt_text("selectedId"))
    return "interactive", node.opt_text("selectedDisplayText") or "", media


def _list_response(node: Node) -> Content:
    reply = node.get("singleSelectReply")
    media = compact(
        interactive_type="list_reply",
        reply_id=None if reply is None else reply.opt_text("selectedRowId"),
        description=node.opt_text("description"),
    )
    return "interactive", node.opt_text("title") or "", media


_READERS: dict[str, Callable[[Node], Content]] = {
    "conversation": _conversation,
    "extendedTextMessage": _extended_text,
    "imageMessage": _media_reader("image"),
    "videoMessage": _media_reader("video"),
    "audioMessage": _media_reader("audio"),
    "documentMessage": _media_reader("document"),
    "documentWithCaptionMessage": _document_with_caption,
    "stickerMessage": _media_reader("sticker"),
    "ptvMessage": _media_reader("video"),  # a round video note
    "protocolMessage": _protocol,
    "editedMessage": _edited,
    "locationMessage": _location,
    "liveLocationMessage": _location,
    "contactMessage": _contact,
    "contactsArrayMessage": _contacts_array,
    "reactionMessage": _reaction,
    "buttonsResponseMessage": _buttons_response,
    "templateButtonReplyMessage": _template_button_reply,
    "listResponseMessage": _list_response,
}


def _status(data: Node, when: datetime) -> StatusUpdate | None:
    if data.has("fromMe") and not data["fromMe"].flag():
        return None  # the agency's phone reading the lead's message
    update = data.get("update")
    raw = (update if update is not None and update.has("status") else data)["status"].value
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise BadRequest(f"{data.path}.status must be a name or a number")
    status = _STATUSES.get(raw)
    if status is None:
        return None
    key = data.get("key")
    external_id = data.opt_text("keyId") or (None if key is None else key.opt_text("id"))
    if not external_id:
        raise BadRequest(f"{data.path}.keyId is missing")
    if data.has("datetime"):
        when = data["datetime"].timestamp(millis=True)
    return StatusUpdate(external_id=external_id, status=status, timestamp=when)


def _event_time(root: Node) -> datetime:
    """When Evolution sent the event: statuses carry no time of their own in v2."""
    raw = root.opt_text("date_time")
    if raw:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise BadRequest(f"{root.path}.date_time is not an ISO date: {raw!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _build(config: ChannelConfig) -> EvolutionProvider:
    return EvolutionProvider(
        instance=config.identity,
        api_key=config.required("api_key", PROVIDER),
        base_url=config.required("base_url", PROVIDER),
        http=config.http,
    )


SPEC = ProviderSpec(
    name=PROVIDER,
    label="Evolution API",
    identity_label="nome da instância",
    identity_option="--instance",
    fields=(
        CredentialField("api_key", "API key", "Evolution: instance API key."),
        CredentialField(
            "base_url", "URL do servidor", "Evolution: API base URL.", secret=False, url=True
        ),
    ),
    build=_build,
)
