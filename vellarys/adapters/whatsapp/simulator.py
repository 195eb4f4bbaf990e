"""The built-in channel behind the dashboard chat and ``vellarys chat``: no network at all.

Webhook body: ``{"phone": "...", "text": "...", "name": "..."?, "id": "..."?}``. The endpoint
that receives it is authenticated by the app, so ``verify_request`` accepts everything.
Replies are read back from the database by the caller; ``sent`` only keeps the latest ones.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from vellarys.adapters.whatsapp.payload import load
from vellarys.adapters.whatsapp.registry import ChannelConfig, ProviderSpec
from vellarys.domain.message import InboundMessage, WebhookBatch
from vellarys.domain.phone import normalize_phone
from vellarys.domain.ports import OutgoingFile
from vellarys.errors import BadRequest, ProviderError

PROVIDER = "simulator"
MAX_TEXT = 4096  # WhatsApp's own limit for a text message


@dataclass(frozen=True, slots=True)
class SentText:
    message_id: str
    to: str
    text: str


class SimulatorProvider:
    """A channel that delivers nothing and records what it would have sent."""

    provider = PROVIDER

    def __init__(self, *, identity: str = PROVIDER, keep: int = 1000) -> None:
        self.identity = identity
        self.sent: deque[SentText] = deque(maxlen=keep)

    def verify_request(self, body: bytes, headers: Mapping[str, str]) -> None:
        return None

    def parse_webhook(self, body: bytes) -> WebhookBatch:
        root = load(body, PROVIDER)
        text = root["text"].text()
        if not text.strip():
            raise BadRequest("simulator: text is empty")
        if len(text) > MAX_TEXT:
            raise BadRequest(f"simulator: text is longer than {MAX_TEXT} characters")
        message = InboundMessage(
            external_id=root.opt_text("id") or str(uuid.uuid4()),
            phone=root["phone"].phone(),
            type="text",
            text=text,
            timestamp=datetime.now(UTC),
            name=root.opt_text("name"),
        )
        return WebhookBatch(self.identity, [message])

    async def send_text(self, *, to: str, text: str, reference: str | None = None) -> str:
        try:
            phone = normalize_phone(to)
        except ValueError as exc:
            raise ProviderError(f"cannot send to {to!r}: {exc}") from None
        message_id = f"sim-{uuid.uuid4()}"
        self.sent.append(SentText(message_id, phone, text))
        return message_id

    async def send_file(self, *, to: str, file: OutgoingFile) -> str:
        """The simulated lead "receives" the file: recorded like a text, with its caption."""
        return await self.send_text(to=to, text=file.caption or f"[{file.kind}] {file.filename}")


def _build(config: ChannelConfig) -> SimulatorProvider:
    return SimulatorProvider(identity=config.identity)


SPEC = ProviderSpec(
    name=PROVIDER,
    label="Simulador",
    identity_label="nome",
    identity_option="--identity",
    fields=(),
    build=_build,
    connectable=False,
)
