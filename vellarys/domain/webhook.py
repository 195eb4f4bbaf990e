"""Outgoing webhooks: the events an agency can subscribe to, how a body is signed, and when
a failed delivery is tried again. Pure: the HTTP call is in ``adapters.webhook_sender``.

Signature: ``Vellarys-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
with the endpoint's secret. A receiver recomputes it over the raw body and refuses a
timestamp older than a few minutes (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

LEAD_CREATED = "lead.created"
LEAD_HANDED_OFF = "lead.handed_off"
LEAD_STAGE_CHANGED = "lead.stage_changed"
LEAD_HOT = "lead.hot"
MESSAGE_RECEIVED = "message.received"
EVENTS = {
    LEAD_CREATED: "Lead novo",
    LEAD_HANDED_OFF: "Lead encaminhado ao corretor",
    LEAD_STAGE_CHANGED: "Etapa do lead mudou",
    LEAD_HOT: "Lead ficou quente",
    MESSAGE_RECEIVED: "Mensagem recebida do lead",
}
TEST_EVENT = "webhook.test"
SIGNATURE_HEADER = "Vellarys-Signature"
EVENT_HEADER = "Vellarys-Event"
DELIVERY_HEADER = "Vellarys-Delivery"
# The wait before attempt n+1, in units of the base delay (30 s by default: 30 s, 2 min,
# 10 min, 1 h, 6 h); past the last, the delivery has failed.
BACKOFF_FACTORS = (1, 4, 20, 120, 720)
MAX_ATTEMPTS = len(BACKOFF_FACTORS) + 1
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_events(events: Iterable[str]) -> list[str]:
    """The events in a stable order; ``ValueError`` (Portuguese) for an unknown or no event."""
    chosen = {e.strip() for e in events if e.strip()}
    unknown = sorted(chosen - set(EVENTS))
    if unknown:
        raise ValueError(f"Eventos desconhecidos: {', '.join(unknown)}.")
    if not chosen:
        raise ValueError("Escolha ao menos um evento.")
    return [e for e in EVENTS if e in chosen]


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: int) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is recent (what a receiver does)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_delay(attempts: int, *, base_seconds: float) -> float | None:
    """Seconds to wait after ``attempts`` failed tries; None when there is no try left."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF_FACTORS[max(attempts, 1) - 1] * base_seconds
