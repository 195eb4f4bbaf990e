"""The ports the services depend on; adapters implement them, bootstrap picks them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from vellarys.domain.media import FetchedMedia
from vellarys.domain.message import WebhookBatch

Vector = npt.NDArray[np.float32]


class ChannelKeys(Protocol):
    """What building a channel's adapter reads: a stored channel, or the ack path's copy."""

    @property
    def provider(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def credentials(self) -> dict[str, Any]: ...
    @property
    def app_secret(self) -> str | None: ...


class WhatsAppProvider(Protocol):
    """One configured channel of one tenant, speaking one provider's wire format."""

    provider: str

    def verify_request(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise ``Unauthorized`` unless the request really comes from the provider."""

    def parse_webhook(self, body: bytes) -> WebhookBatch:
        """Parse a webhook body; raise ``BadRequest`` when it is malformed."""

    async def send_text(self, *, to: str, text: str, reference: str | None = None) -> str:
        """Send a text message and return the provider's message id; raise ``ProviderError``.

        ``reference`` (our message id) comes back in the provider's status callbacks where the
        provider supports it, so a send whose answer was lost can still be matched."""


@runtime_checkable
class TemplateSender(Protocol):
    """A provider with WhatsApp's 24-hour window, which sends approved templates outside it."""

    async def send_template(
        self, *, to: str, name: str, language: str, values: Sequence[str]
    ) -> str:
        """Send template ``name`` with body ``values`` in order; return the message id."""


@runtime_checkable
class SentLookup(Protocol):
    """A provider that keeps what it sent and can be asked for it, so a send whose answer was
    lost is settled from the provider's record instead of being sent again."""

    async def find_sent(self, *, to: str, text: str, since: datetime) -> str | None:
        """The provider's id of ``text`` sent to ``to`` at or after ``since``; None when it
        has no such record. ``ProviderError`` when it cannot be asked."""


@runtime_checkable
class MediaSource(Protocol):
    """A provider that can hand over the file of a message a lead sent."""

    async def fetch_media(
        self, *, external_id: str, media: Mapping[str, Any], max_bytes: int
    ) -> FetchedMedia:
        """The file; ``MediaRefused`` past ``max_bytes``, ``ProviderError`` on failure."""


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file staff send to a lead: ``kind`` is ``image`` or ``document``."""

    kind: str
    data: bytes
    content_type: str
    filename: str
    caption: str = ""


@runtime_checkable
class MediaSender(Protocol):
    """A provider that sends pictures and documents (through its media API)."""

    async def send_file(self, *, to: str, file: OutgoingFile) -> str:
        """Send ``file`` and return the provider's message id; raise ``ProviderError``."""


class Transcriber(Protocol):
    """Speech to text. Blocking or slow implementations run off the event loop themselves."""

    name: str

    async def transcribe(self, audio: bytes, *, content_type: str, prompt: str) -> str: ...


class TextReader(Protocol):
    """Text in a picture (OCR), line by line joined with newlines."""

    name: str

    async def read(self, image: bytes) -> str: ...


class Embedder(Protocol):
    """Turns text into vectors. ``query`` for what leads write, ``passage`` for documents."""

    model_name: str
    dimension: int

    def query(self, text: str) -> Vector: ...

    def passages(self, texts: Sequence[str]) -> list[Vector]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
