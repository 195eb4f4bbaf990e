"""POST one signed event to an agency's webhook URL, through the guarded transport (no
private or loopback targets unless allowed, checked again at connect time)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from vellarys.adapters.outbound import GuardedTransport
from vellarys.domain.webhook import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

USER_AGENT = "Vellarys-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went: the receiver's status (None when none answered) and the error."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def post_event(
    url: str,
    *,
    body: bytes,
    secret: str,
    event: str,
    delivery_id: str,
    timestamp: int,
    allow_private: bool,
    seconds: float,
) -> Attempt:
    """One attempt; redirects are not followed (a 3xx is a failure, as the portals do)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, body, timestamp),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }
    transport = GuardedTransport(allow_private=allow_private)
    try:
        async with httpx.AsyncClient(timeout=seconds, transport=transport) as http:
            response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Attempt(status=None, error=f"{type(exc).__name__}: {str(exc)[:300]}")
    if 200 <= response.status_code < 300:
        return Attempt(status=response.status_code, error=None)
    return Attempt(status=response.status_code, error=f"HTTP {response.status_code}")
