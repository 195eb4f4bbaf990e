"""Password hashing (argon2id)."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2's default, RFC 9106's second recommendation: 3 passes over 64 MiB, 4 lanes.
_hasher = PasswordHasher()


def configure(*, time_cost: int, memory_kib: int) -> None:
    """Sets the cost of new hashes for this process (``bootstrap.build`` applies the settings).

    A stored hash carries its own parameters, so it verifies whatever the cost is now."""
    global _hasher
    if (_hasher.time_cost, _hasher.memory_cost) == (time_cost, memory_kib):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash no password matches, checked when an e-mail is unknown so that a login costs
    the same whether or not the account exists."""
    return _hasher.hash(secrets.token_urlsafe(16))
