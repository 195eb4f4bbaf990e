"""Web push to a browser's push service: the payload encrypted for that browser (RFC 8291,
aes128gcm, by http-ece) and signed with this deployment's VAPID key (RFC 8292, by py-vapid).

The endpoint is an address a browser handed us, so it goes through the guarded transport like
any URL a user typed (no private or loopback targets unless the deployment allows them)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02

from vellarys.adapters.outbound import GuardedTransport

KEY_FILE = "vapid_private.pem"
# How long a push service keeps a push for a device that is offline.
TTL_SECONDS = 12 * 3600
USER_AGENT = "Vellarys-Push/1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_vapid(*, configured: str | None, data_dir: Path) -> Vapid02:
    """The configured key (base64url raw or DER), else the one generated into the data folder
    on first use. Two processes starting together keep the file the first one wrote."""
    if configured:
        return Vapid02.from_string(configured)
    path = data_dir / KEY_FILE
    if not path.exists():
        fresh = Vapid02()
        fresh.generate_keys()
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(fresh.private_pem())
    return Vapid02.from_pem(path.read_bytes())


def public_key(vapid: Vapid02) -> str:
    """The applicationServerKey browsers subscribe with (uncompressed P-256 point)."""
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(raw)


@dataclass(frozen=True, slots=True)
class Subscriber:
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class PushResult:
    """How one push went: the push service's status (None when none answered)."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The subscription no longer exists (the user unsubscribed or it expired)."""
        return self.status in (404, 410)


def encrypt(payload: bytes, subscriber: Subscriber) -> bytes:
    """The body only that browser can read: a fresh sender key per message."""
    sender = ec.generate_private_key(ec.SECP256R1())
    receiver = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), b64url_bytes(subscriber.p256dh)
    )
    body: bytes = http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=sender,
        dh=receiver.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint),
        auth_secret=b64url_bytes(subscriber.auth),
        version="aes128gcm",
    )
    return body


def vapid_headers(vapid: Vapid02, *, endpoint: str, subject: str, now: datetime) -> dict[str, str]:
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "sub": subject,
        "exp": int((now + timedelta(hours=12)).timestamp()),
    }
    headers: dict[str, str] = vapid.sign(claims)
    return headers


async def send(
    subscriber: Subscriber,
    payload: bytes,
    *,
    vapid: Vapid02,
    subject: str,
    now: datetime,
    allow_private: bool,
    seconds: float,
) -> PushResult:
    """One push; a bad subscription key is a failure, never an exception."""
    try:
        body = encrypt(payload, subscriber)
    except (ValueError, TypeError) as exc:
        return PushResult(status=None, error=f"bad subscription keys: {exc}")
    headers = {
        **vapid_headers(vapid, endpoint=subscriber.endpoint, subject=subject, now=now),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": "high",
        "User-Agent": USER_AGENT,
    }
    transport = GuardedTransport(allow_private=allow_private)
    try:
        async with httpx.AsyncClient(timeout=seconds, transport=transport) as http:
            response = await http.post(subscriber.endpoint, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return PushResult(status=None, error=f"{type(exc).__name__}: {str(exc)[:300]}")
    if 200 <= response.status_code < 300:
        return PushResult(status=response.status_code, error=None)
    return PushResult(status=response.status_code, error=f"HTTP {response.status_code}")
