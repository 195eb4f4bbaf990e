"""Z-API, the WhatsApp gateway most Brazilian agencies already pay for.

Webhooks: one JSON object per event; ``type`` says which ("ReceivedCallback" for messages,
also for those the agency sends from its own phone, "MessageStatusCallback" for statuses).

Z-API does not sign its webhooks. The secret is the webhook URL itself, which must be
unguessable (the channel's key in it), and HTTPS-only as Z-API requires. When the channel has a
client token, ``verify_request`` also requires a ``z-api-token`` or ``client-token`` header and
every such header to match it: a request with none is refused like one with a wrong one.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from vellarys.adapters.whatsapp.payload import (
    Node,
    ad_referral,
    compact,
    header,
    joined,
    load,
    read_messages,
)
from vellarys.adapters.whatsapp.registry import ChannelConfig, CredentialField, ProviderSpec
from vellarys.adapters.whatsapp.transport import (
    download,
    http_error,
    post_json,
    unexpected_answer,
)
from vellarys.domain.media import FetchedMedia
from vellarys.domain.message import (
    DeliveryStatus,
    InboundMessage,
    MessageType,
    StatusUpdate,
    WebhookBatch,
)
from vellarys.domain.phone import normalize_phone
from vellarys.errors import ProviderError, Unauthorized

log = logging.getLogger(__name__)

PROVIDER = "zapi"
DEFAULT_BASE_URL = "https://api.z-api.io"
TOKEN_HEADERS = ("z-api-token", "client-token")
# READ_BY_ME is the agency reading the lead's message: not a status of anything we sent.
_STATUSES: dict[str, DeliveryStatus] = {
    "SENT": "sent",
    "RECEIVED": "delivered",
    "READ": "read",
    "PLAYED": "read",
}
Content = tuple[MessageType, str, dict[str, Any]]
# Call notices (``notification``): what happened and whether it was a video call.
_CALLS: dict[str, tuple[str, bool]] = {
    "CALL_VOICE": ("received", False),
    "CALL_VIDEO": ("received", True),
    "CALL_MISSED_VOICE": ("missed", False),
    "CALL_MISSED_VIDEO": ("missed", True),
}


def parse_webhook(body: bytes) -> WebhookBatch:
    """Parse a Z-API webhook; ``identity`` is its ``instanceId``."""
    root = load(body, PROVIDER)
    kind = root["type"].text()
    if kind == "ReceivedCallback":
        identity = root["instanceId"].text()
        messages, rejected = read_messages([root], _message)
        return WebhookBatch(identity, messages, rejected=rejected)
    if kind == "MessageStatusCallback":
        return WebhookBatch(root["instanceId"].text(), statuses=_statuses(root))
    return WebhookBatch(root.opt_text("instanceId"))  # connection, presence, delivery events


class ZApiProvider:
    """One Z-API instance."""

    provider = PROVIDER

    def __init__(
        self,
        *,
        instance_id: str,
        token: str,
        client_token: str,
        http: httpx.AsyncClient,
        base_url: str = DEFAULT_BASE_URL,
    ) -> None:
        self.instance_id = instance_id
        self._client_token = client_token
        self._url = f"{base_url.rstrip('/')}/instances/{instance_id}/token/{token}/send-text"
        self._http = http

    def verify_request(self, body: bytes, headers: Mapping[str, str]) -> None:
        """With a client token configured, require a token header and every one to match it."""
        if not self._client_token:
            return
        expected = self._client_token.encode()
        given = {name: header(headers, name) for name in TOKEN_HEADERS}
        if all(value is None for value in given.values()):
            raise Unauthorized("the webhook carries no client-token header")
        for name, value in given.items():
            if value is not None and not hmac.compare_digest(value.encode(), expected):
                raise Unauthorized(f"the {name} header does not match this channel")

    def parse_webhook(self, body: bytes) -> WebhookBatch:
        return parse_webhook(body)

    async def fetch_media(
        self, *, external_id: str, media: Mapping[str, Any], max_bytes: int
    ) -> FetchedMedia:
        """Z-API hands a plain download URL in the webhook."""
        url = str(media.get("url") or "")
        if not url.startswith(("https://", "http://")):
            raise ProviderError(f"{PROVIDER}: the message has no media URL")
        return await download(self._http, url, provider=PROVIDER, headers={}, max_bytes=max_bytes)

    async def send_text(self, *, to: str, text: str, reference: str | None = None) -> str:
        try:
            phone = normalize_phone(to).removeprefix("+")
        except ValueError as exc:
            raise ProviderError(f"cannot send to {to!r}: {exc}") from None
        headers = {"Client-Token": self._client_token} if self._client_token else {}
        answer = await post_json(
            self._http,
            self._url,
            provider=PROVIDER,
            headers=headers,
            payload={"phone": phone, "message": text},
            read_error=_read_error,
        )
        fields = answer if isinstance(answer, dict) else {}
        message_id = fields.get("messageId") or fields.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise unexpected_answer(PROVIDER, answer)
        return message_id


def _read_error(status: int, body: Any) -> ProviderError:
    if isinstance(body, dict):
        message = joined(_str(body.get("error")), _str(body.get("message")), sep=": ")
    else:
        message = str(body)[:200]
    return http_error(PROVIDER, status, message or "no details")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _message(root: Node) -> InboundMessage | None:
    external_id = root["messageId"].text()
    if root.opt_flag("isGroup") or root.opt_flag("isNewsletter") or root.opt_flag("broadcast"):
        log.info("zapi: skipping group/broadcast message %s", external_id)
        return None
    if root["phone"].text().endswith("@lid"):
        log.warning("zapi: skipping message %s from a private id with no phone", external_id)
        return None
    from_me = root.opt_flag("fromMe")
    kind, text, media = _content(root)
    if root.has("externalAdReply"):  # the lead came from a click-to-WhatsApp ad
        media = {**media, "referral": ad_referral(root["externalAdReply"])}
    return InboundMessage(
        external_id=external_id,
        phone=root["phone"].phone(),
        type=kind,
        text=text,
        timestamp=root["momment"].timestamp(millis=True),
        # On an echo of the agency's own message, senderName is the agency's.
        name=None if from_me else root.opt_text("senderName") or root.opt_text("chatName"),
        media=media,
        from_me=from_me,
    )


def _content(root: Node) -> Content:
    for key, reader in _READERS.items():
        node = root.get(key)
        if node is not None:
            return reader(node)
    notification = root.opt_text("notification") or ""
    if notification in _CALLS:
        outcome, video = _CALLS[notification]
        return "call", "", compact(call=outcome, video=video, call_id=root.opt_text("callId"))
    # e.g. a payment notice, or a message the phone could not decrypt yet ("waitingMessage")
    return "unknown", "", compact(original_type=notification or None)


def _text(node: Node) -> Content:
    return "text", node["message"].text(), {}


def _media_reader(kind: MessageType, url_key: str) -> Callable[[Node], Content]:
    def read(node: Node) -> Content:
        caption = node.opt_text("caption")
        seconds = node.opt_number("seconds")
        media = compact(
            url=node[url_key].text(),
            mime_type=node.opt_text("mimeType"),
            caption=caption,
            filename=node.opt_text("fileName"),
            seconds=None if seconds is None else int(seconds),
            voice=node["ptt"].flag() if node.has("ptt") else None,
        )
        return kind, caption or "", media

    return read


def _location(node: Node) -> Content:
    name, address = node.opt_text("name"), node.opt_text("address")
    media = compact(
        latitude=node["latitude"].number(),
        longitude=node["longitude"].number(),
        name=name,
        address=address,
        url=node.opt_text("url"),
    )
    return "location", joined(name, address), media


def _live_location(node: Node) -> Content:
    """A live location: where the lead was when they started sharing it (later moves are not
    sent as messages)."""
    latitude = node.get("latitude") or node["degreesLatitude"]
    longitude = node.get("longitude") or node["degreesLongitude"]
    caption = node.opt_text("caption")
    media = compact(latitude=latitude.number(), longitude=longitude.number(), live=True)
    return "location", caption or "", {**media, **compact(name=caption)}


def _template(node: Node) -> Content:
    """A template (HSM) message: its title, body and footer are its text."""
    text = "\n".join(
        part for part in (node.opt_text(k) for k in ("title", "message", "footer")) if part
    )
    buttons = (
        [_button_text(b) for b in node["hydratedButtons"].items()]
        if node.has("hydratedButtons")
        else []
    )
    media = compact(template_id=node.opt_text("templateId") or None)
    return "text", text, {**media, **({"buttons": buttons} if buttons else {})}


def _buttons(node: Node) -> Content:
    """A message with reply buttons: its text, and the buttons' labels for the record."""
    buttons = [_button_text(b) for b in node["buttons"].items()] if node.has("buttons") else []
    return "text", node.opt_text("message") or "", {"buttons": buttons} if buttons else {}


def _button_text(node: Node) -> str:
    for key in ("buttonText", "quickReplyButton", "urlButton", "callButton"):
        inner = node.get(key)
        if inner is not None:
            return inner.opt_text("displayText") or ""
    return ""


def _contact(node: Node) -> Content:
    name = node.opt_text("displayName")
    phones = [p.text() for p in node["phones"].items()] if node.has("phones") else []
    card = compact(name=name, phones=phones, vcard=node.opt_text("vCard"))
    return "contacts", name or "", {"contacts": [card]}


def _buttons_response(node: Node) -> Content:
    media = compact(interactive_type="button_reply", reply_id=node.opt_text("buttonId"))
    return "interactive", node["message"].text(), media


def _list_response(node: Node) -> Content:
    media = compact(
        interactive_type="list_reply",
        reply_id=node.opt_text("selectedRowId"),
        description=node.opt_text("message"),
    )
    return "interactive", node.opt_text("title") or node.opt_text("message") or "", media


def _reaction(node: Node) -> Content:
    emoji = node.opt_text("value") or ""  # an empty value removes the reaction
    reacted_to = node["referencedMessage"]["messageId"].text()
    return "reaction", emoji, {"emoji": emoji, "reacted_to": reacted_to}


_READERS: dict[str, Callable[[Node], Content]] = {
    "text": _text,
    "image": _media_reader("image", "imageUrl"),
    "audio": _media_reader("audio", "audioUrl"),
    "video": _media_reader("video", "videoUrl"),
    "document": _media_reader("document", "documentUrl"),
    "sticker": _media_reader("sticker", "stickerUrl"),
    "location": _location,
    "liveLocation": _live_location,
    "contact": _contact,
    "hydratedTemplate": _template,
    "buttonsMessage": _buttons,
    "buttonsResponseMessage": _buttons_response,
    "listResponseMessage": _list_response,
    "reaction": _reaction,
}


def _statuses(root: Node) -> list[StatusUpdate]:
    status = _STATUSES.get(root["status"].text())
    if status is None:
        return []
    timestamp = root["momment"].timestamp(millis=True)
    return [StatusUpdate(node.text(), status, timestamp) for node in root["ids"].items()]


def _build(config: ChannelConfig) -> ZApiProvider:
    return ZApiProvider(
        instance_id=config.identity,
        token=config.required("token", PROVIDER),
        client_token=config.credentials.get("client_token", ""),
        base_url=config.credentials.get("base_url") or DEFAULT_BASE_URL,
        http=config.http,
    )


SPEC = ProviderSpec(
    name=PROVIDER,
    label="Z-API",
    identity_label="ID da instância",
    identity_option="--instance",
    fields=(
        CredentialField("token", "Token da instância", "Z-API: instance token."),
        CredentialField(
            "client_token",
            "Client-Token (se usar)",
            "Z-API: account security token.",
            required=False,
        ),
        CredentialField(
            "base_url",
            "URL da API (opcional)",
            "Z-API: API base URL (default https://api.z-api.io).",
            secret=False,
            required=False,
            url=True,
        ),
    ),
    build=_build,
)
