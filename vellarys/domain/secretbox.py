"""Encrypt secrets stored in the database (per-tenant LLM keys, provider credentials).

The key is derived from the deployment's secret key, so a database dump alone does not
reveal them. Rotating the secret key makes stored secrets unreadable: re-enter them.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "enc:v1:"


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"vellarys-secretbox:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(plaintext: str, *, secret_key: str) -> str:
    token = _fernet(secret_key).encrypt(plaintext.encode()).decode()
    return PREFIX + token


def open_sealed(sealed: str, *, secret_key: str) -> str | None:
    """The plaintext, or None when the value is not ours or the key changed."""
    if not sealed.startswith(PREFIX):
        return None
    try:
        return _fernet(secret_key).decrypt(sealed[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        return None
