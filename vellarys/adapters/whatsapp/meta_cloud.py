"""WhatsApp Cloud API (Meta), and the partners that relay its format, such as 360dialog.

Webhooks: GET subscription handshake (``verify_subscription``), then signed POSTs batching
messages and delivery statuses of one or more phone numbers. Sending: the Graph API.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import httpx

from vellarys.adapters.whatsapp.payload import (
    Node,
    compact,
    header,
    joined,
    load,
    read_messages,
    read_statuses,
)
from vellarys.adapters.whatsapp.registry import ChannelConfig, CredentialField, ProviderSpec
from vellarys.adapters.whatsapp.transport import (
    download,
    get_json,
    http_error,
    post_file,
    post_json,
    unexpected_answer,
)
from vellarys.domain.media import FetchedMedia
from vellarys.domain.message import (
    DeliveryStatus,
    InboundMessage,
    MessageType,
    RejectedMessage,
    StatusUpdate,
    WebhookBatch,
)
from vellarys.domain.phone import normalize_phone
from vellarys.domain.ports import OutgoingFile
from vellarys.errors import (
    BadRequest,
    Forbidden,
    OutsideServiceWindow,
    ProviderError,
    Unauthorized,
)

PROVIDER = "meta"
# Coexistence: what the agency typed in the WhatsApp Business app on its phone.
ECHO_FIELD = "smb_message_echoes"
SIGNATURE_HEADER = "X-Hub-Signature-256"
RE_ENGAGEMENT_CODE = "131047"
# Throughput and temporary-outage codes, which Meta may send with a 400.
_RETRYABLE_CODES = frozenset({"2", "4", "80007", "130429", "131016", "131056", "133004"})
_MEDIA_TYPES: dict[str, MessageType] = {
    "audio": "audio",
    "image": "image",
    "video": "video",
    "document": "document",
    "sticker": "sticker",
}
_STATUSES: dict[str, DeliveryStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}
Content = tuple[MessageType, str, dict[str, Any]]


def verify_subscription(params: Mapping[str, str], verify_token: str) -> str:
    """Answer Meta's GET handshake: return ``hub.challenge`` when the verify token matches."""
    if params.get("hub.mode") != "subscribe":
        raise Forbidden("hub.mode must be 'subscribe'")
    given = params.get("hub.verify_token", "").encode()
    if not verify_token or not hmac.compare_digest(given, verify_token.encode()):
        raise Forbidden("hub.verify_token does not match this channel")
    challenge = params.get("hub.challenge")
    if not challenge:
        raise BadRequest("hub.challenge is missing")
    return challenge


def verify_signature(body: bytes, headers: Mapping[str, str], app_secret: str) -> None:
    """Check ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw body."""
    signature = header(headers, SIGNATURE_HEADER)
    if not signature or not signature.startswith("sha256="):
        raise Unauthorized(f"missing or malformed {SIGNATURE_HEADER} header")
    if not app_secret:
        raise Unauthorized("the channel has no app secret to check signatures with")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest().encode()
    given = signature.removeprefix("sha256=").strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        raise Unauthorized("invalid webhook signature")


def parse_webhook(body: bytes) -> WebhookBatch:
    """Parse a Cloud API webhook; ``identity`` is the ``phone_number_id`` it is about."""
    root = load(body, PROVIDER)
    if root.opt_text("object") != "whatsapp_business_account":
        raise BadRequest("meta webhook: object must be 'whatsapp_business_account'")
    identities: set[str] = set()
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    rejected: list[RejectedMessage] = []
    for entry in root["entry"].items():
        for change in entry["changes"].items():
            if change.opt_text("field") not in (None, "messages", ECHO_FIELD):
                continue  # account and template events share the webhook
            value = change["value"]
            identities.add(value["metadata"]["phone_number_id"].text())
            names = _contact_names(value)
            read, refused = read_messages(_list(value, "messages"), partial(_message, names=names))
            echoes, refused_echoes = read_messages(_list(value, "message_echoes"), _echo)
            messages.extend([*read, *echoes])
            rejected.extend([*refused, *refused_echoes])
            statuses.extend(read_statuses(_list(value, "statuses"), _status))
    if len(identities) > 1:
        raise BadRequest(f"meta webhook names several phone numbers: {sorted(identities)}")
    return WebhookBatch(next(iter(identities), None), messages, statuses, rejected)


class MetaCloudProvider:
    """One WhatsApp Cloud API phone number."""

    provider = PROVIDER

    def __init__(
        self,
        *,
        phone_number_id: str,
        access_token: str,
        app_secret: str,
        graph_url: str,
        http: httpx.AsyncClient,
        api_version: str = "v21.0",
    ) -> None:
        self.phone_number_id = phone_number_id
        self._access_token = access_token
        self._app_secret = app_secret
        self._graph = f"{graph_url.rstrip('/')}/{api_version}"
        self._url = f"{self._graph}/{phone_number_id}/messages"
        self._http = http

    def verify_request(self, body: bytes, headers: Mapping[str, str]) -> None:
        verify_signature(body, headers, self._app_secret)

    def parse_webhook(self, body: bytes) -> WebhookBatch:
        return parse_webhook(body)

    async def send_text(self, *, to: str, text: str, reference: str | None = None) -> str:
        message: dict[str, Any] = {
            "to": _digits(to),
            "type": "text",
            "text": {"body": text, "preview_url": False},
        }
        if reference:
            message["biz_opaque_callback_data"] = reference  # echoed in status webhooks
        return await self._send(message)

    async def send_template(
        self, *, to: str, name: str, language: str, values: Sequence[str]
    ) -> str:
        """An approved template, the only message allowed outside the 24-hour window."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if values:
            parameters = [{"type": "text", "text": value} for value in values]
            template["components"] = [{"type": "body", "parameters": parameters}]
        return await self._send({"to": _digits(to), "type": "template", "template": template})

    async def send_file(self, *, to: str, file: OutgoingFile) -> str:
        """Upload the file to the number's media store, then send it by its media id."""
        uploaded = await post_file(
            self._http,
            f"{self._graph}/{self.phone_number_id}/media",
            provider=PROVIDER,
            headers={"Authorization": f"Bearer {self._access_token}"},
            fields={"messaging_product": "whatsapp", "type": file.content_type},
            file=(file.filename, file.data, file.content_type),
            read_error=_read_error,
        )
        media_id = uploaded.get("id") if isinstance(uploaded, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise ProviderError(f"{PROVIDER} answered the upload without a media id")
        body: dict[str, Any] = {"id": media_id}
        if file.caption:
            body["caption"] = file.caption
        if file.kind == "document":
            body["filename"] = file.filename
        return await self._send({"to": _digits(to), "type": file.kind, file.kind: body})

    async def fetch_media(
        self, *, external_id: str, media: Mapping[str, Any], max_bytes: int
    ) -> FetchedMedia:
        """Media id -> its short-lived URL -> the bytes, both with the channel's token."""
        media_id = str(media.get("media_id") or "")
        if not media_id.isdigit():
            raise ProviderError(f"{PROVIDER}: {media_id!r} is not a media id")
        auth = {"Authorization": f"Bearer {self._access_token}"}
        meta = await get_json(
            self._http,
            f"{self._graph}/{media_id}",
            provider=PROVIDER,
            headers=auth,
            read_error=_read_error,
        )
        url = meta.get("url") if isinstance(meta, dict) else None
        if not isinstance(url, str) or not url:
            raise ProviderError(f"{PROVIDER} answered without a media URL")
        return await download(self._http, url, provider=PROVIDER, headers=auth, max_bytes=max_bytes)

    async def _send(self, message: dict[str, Any]) -> str:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        answer = await post_json(
            self._http,
            self._url,
            provider=PROVIDER,
            headers={"Authorization": f"Bearer {self._access_token}"},
            payload=payload,
            read_error=_read_error,
        )
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise unexpected_answer(PROVIDER, answer) from None


def _digits(to: str) -> str:
    try:
        return normalize_phone(to).removeprefix("+")
    except ValueError as exc:
        raise ProviderError(f"cannot send to {to!r}: {exc}") from None


def _read_error(status: int, body: Any) -> ProviderError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return http_error(PROVIDER, status, str(body)[:200] or "no details")
    code = None if error.get("code") is None else str(error["code"])
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    message = joined(str(error.get("message") or "no message"), details, sep=": ")
    if code == RE_ENGAGEMENT_CODE:
        return OutsideServiceWindow(
            f"{PROVIDER} answered {status}: {message}", provider_status=status, provider_code=code
        )
    mapped = http_error(PROVIDER, status, message, code=code)
    mapped.retryable = mapped.retryable or code in _RETRYABLE_CODES
    return mapped


def _list(node: Node, key: str) -> list[Node]:
    child = node.get(key)
    return [] if child is None else child.items()


def _contact_names(value: Node) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in _list(value, "contacts"):
        try:
            profile = contact.get("profile")
            name = None if profile is None else profile.opt_text("name")
            if name and contact.has("wa_id"):
                names[contact["wa_id"].phone()] = name
        except BadRequest:
            continue  # a contact card we cannot read only costs the lead's display name
    return names


def _message(node: Node, names: Mapping[str, str]) -> InboundMessage:
    phone = node["from"].phone()
    kind, text, media = _content(node, node["type"].text())
    if node.has("context"):
        media["reply_to"] = node["context"].opt_text("id")
    if node.has("referral"):  # the lead came from a click-to-WhatsApp ad
        media["referral"] = node["referral"].value
    return InboundMessage(
        external_id=node["id"].text(),
        phone=phone,
        type=kind,
        text=text,
        timestamp=node["timestamp"].timestamp(),
        name=names.get(phone),
        media=media,
    )


def _echo(node: Node) -> InboundMessage:
    """A message the agency sent from the WhatsApp Business app: ``to`` is the lead."""
    kind, text, media = _content(node, node["type"].text())
    return InboundMessage(
        external_id=node["id"].text(),
        phone=node["to"].phone(),
        type=kind,
        text=text,
        timestamp=node["timestamp"].timestamp(),
        media=media,
        from_me=True,
    )


def _content(node: Node, kind: str) -> Content:
    if node.has("errors") and not node.has(kind):
        # Meta could not read what the lead sent (a deleted or unsupported message).
        errors = _list(node, "errors")
        code = errors[0].get("code") if errors else None
        error = None if code is None else str(int(code.number()))
        return "unknown", "", compact(original_type=kind, error_code=error)
    if kind == "text":
        return "text", node["text"]["body"].text(), {}
    if kind in _MEDIA_TYPES:
        return _media(_MEDIA_TYPES[kind], node[kind])
    reader = _READERS.get(kind)
    if reader is None:
        return "unknown", "", {"original_type": kind}
    return reader(node[kind])


def _media(kind: MessageType, node: Node) -> Content:
    caption = node.opt_text("caption")
    media = compact(
        media_id=node["id"].text(),
        mime_type=node.opt_text("mime_type"),
        sha256=node.opt_text("sha256"),
        caption=caption,
        filename=node.opt_text("filename"),
        voice=node["voice"].flag() if node.has("voice") else None,
    )
    return kind, caption or "", media


def _interactive(node: Node) -> Content:
    subtype = node["type"].text()
    if subtype in ("button_reply", "list_reply"):
        reply = node[subtype]
        media = compact(
            interactive_type=subtype,
            reply_id=reply.opt_text("id"),
            description=reply.opt_text("description"),
        )
        return "interactive", reply["title"].text(), media
    if subtype == "nfm_reply":  # a WhatsApp Flow answered
        flow = node["nfm_reply"]
        media = compact(interactive_type=subtype, response_json=flow.opt_text("response_json"))
        return "interactive", flow.opt_text("body") or "", media
    return "interactive", "", {"interactive_type": subtype}


def _button(node: Node) -> Content:
    media = compact(interactive_type="button", reply_id=node.opt_text("payload"))
    return "interactive", node["text"].text(), media


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


def _contacts(node: Node) -> Content:
    names: list[str | None] = []
    cards: list[dict[str, Any]] = []
    for card in node.items():
        name_node = card.get("name")
        name = None if name_node is None else name_node.opt_text("formatted_name")
        phones = [p.opt_text("wa_id") or p.opt_text("phone") for p in _list(card, "phones")]
        names.append(name)
        cards.append({"name": name, "phones": [phone for phone in phones if phone]})
    return "contacts", joined(*names, sep=", "), {"contacts": cards}


def _reaction(node: Node) -> Content:
    emoji = node.opt_text("emoji") or ""  # an empty emoji removes the reaction
    return "reaction", emoji, {"emoji": emoji, "reacted_to": node["message_id"].text()}


def _edit(node: Node) -> Content:
    """The lead edited a message: its new content, applied to the original."""
    new = node["message"]
    kind, text, media = _content(new, new["type"].text())
    return "edit", text, {**media, "target": node["original_message_id"].text(), "as": kind}


def _revoke(node: Node) -> Content:
    return "revoke", "", {"target": node["original_message_id"].text()}


def _system(node: Node) -> Content:
    """``user_changed_number`` names the new number in ``wa_id``; other notices are noted."""
    media = compact(
        system_type=node.opt_text("type"),
        new_phone=node["wa_id"].phone() if node.has("wa_id") else None,
    )
    return "system", node.opt_text("body") or "", media


_READERS: dict[str, Callable[[Node], Content]] = {
    "edit": _edit,
    "revoke": _revoke,
    "system": _system,
    "interactive": _interactive,
    "button": _button,
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
}


def _status(node: Node) -> StatusUpdate | None:
    status = _STATUSES.get(node["status"].text())
    if status is None:
        return None  # "deleted", "warning": nothing a sent message can become
    code = error = None
    errors = _list(node, "errors")
    if errors:
        first = errors[0]
        code = str(int(first["code"].number())) if first.has("code") else None
        data = first.get("error_data")
        details = None if data is None else data.opt_text("details")
        error = joined(first.opt_text("message") or first.opt_text("title"), details, sep=": ")
    return StatusUpdate(
        external_id=node["id"].text(),
        status=status,
        timestamp=node["timestamp"].timestamp(),
        error_code=code,
        error=error or None,
        reference=node.opt_text("biz_opaque_callback_data"),
    )


def _build(config: ChannelConfig) -> MetaCloudProvider:
    return MetaCloudProvider(
        phone_number_id=config.identity,
        access_token=config.required("access_token", PROVIDER),
        app_secret=config.required("app_secret", PROVIDER),
        graph_url=config.meta_graph_url,
        http=config.http,
        api_version=config.credentials.get("api_version") or "v21.0",
    )


SPEC = ProviderSpec(
    name=PROVIDER,
    label="WhatsApp Cloud API (Meta / 360dialog)",
    identity_label="phone_number_id",
    identity_option="--phone-number-id",
    fields=(
        CredentialField("access_token", "Access token", "Meta: access token."),
        CredentialField("app_secret", "App secret", "Meta: app secret (signatures)."),
    ),
    build=_build,
)
