"""The ports the services depend on; adapters implement them, bootstrap picks them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from vellarys.domain.message import WebhookBatch

Vector = npt.NDArray[np.float32]


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


class Embedder(Protocol):
    """Turns text into vectors. ``query`` for what leads write, ``passage`` for documents."""

    model_name: str
    dimension: int

    def query(self, text: str) -> Vector: ...

    def passages(self, texts: Sequence[str]) -> list[Vector]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
