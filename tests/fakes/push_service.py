"""A browser's push service on 127.0.0.1 (RFC 8030), with the browser's side of the keys.

It hands out subscriptions as a browser would (endpoint, p256dh, auth), and for every push it
checks the VAPID authorization (RFC 8292) by itself: the JWT's ES256 signature against the key
in ``k``, its audience, expiry and subject; then it decrypts the aes128gcm body (RFC 8291)
with the browser's private key. Endpoints named in ``gone`` answer 410, as for a browser that
unsubscribed."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Push:
    path: str
    headers: dict[str, str]
    status: int
    vapid_key: str  # the sender's public key (``k``), base64url
    vapid_problem: str | None  # None when the authorization checked out
    claims: dict[str, Any]
    payload: dict[str, Any] | None  # the decrypted JSON, None when it did not decrypt


def check_vapid(authorization: str, *, audience: str, now: float) -> tuple[str, dict[str, Any]]:
    """(k, claims) of a valid ``vapid t=<jwt>,k=<key>`` header; ValueError says what is wrong."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"scheme {scheme!r}")
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = parts["t"], parts["k"]
    head_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(_unb64(head_b64))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg {header.get('alg')!r}")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
    raw = _unb64(signature_b64)
    if len(raw) != 64:
        raise ValueError("signature is not 64 bytes (r || s)")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise ValueError("bad signature") from exc
    claims: dict[str, Any] = json.loads(_unb64(claims_b64))
    if claims.get("aud") != audience:
        raise ValueError(f"aud {claims.get('aud')!r}, expected {audience!r}")
    if not now < int(claims["exp"]) <= now + 24 * 3600:
        raise ValueError(f"exp {claims['exp']} not within 24 h")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError(f"sub {claims.get('sub')!r}")
    return key, claims


class PushService:
    def __init__(self, *, gone: tuple[str, ...] = ()) -> None:
        self.browser_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.gone = set(gone)
        self.received: list[Push] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service.received.append(service.take(self.path, dict(self.headers), body))
                self.send_response(service.received[-1].status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def subscription(self, name: str) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives a page for the device ``name``."""
        point = self.browser_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{name}",
            "expirationTime": None,
            "keys": {"p256dh": _b64(point), "auth": _b64(self.auth)},
        }

    def take(self, path: str, headers: dict[str, str], body: bytes) -> Push:
        headers = {k.lower(): v for k, v in headers.items()}
        key, claims, problem, payload = "", {}, None, None
        try:
            key, claims = check_vapid(
                headers.get("authorization", ""), audience=self.origin, now=time.time()
            )
        except (ValueError, KeyError) as exc:
            problem = str(exc) or type(exc).__name__
        if headers.get("content-encoding") == "aes128gcm":
            try:
                plain = http_ece.decrypt(
                    body, private_key=self.browser_key, auth_secret=self.auth, version="aes128gcm"
                )
                payload = json.loads(plain)
            except Exception:  # a body that does not decrypt is recorded as None
                payload = None
        status = 410 if path.rsplit("/", 1)[-1] in self.gone else 201
        return Push(path, headers, status, key, problem, claims, payload)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
