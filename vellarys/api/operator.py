"""Who may read the operator's endpoints (detailed health, pool, metrics): a client on this
machine, or anyone with the operator token (``Authorization: Bearer <VELLARYS_OPERATOR_TOKEN>``).

A request that came through a proxy (``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``) is
never treated as local, so a reverse proxy on the same machine does not open them to the
internet.
"""

from __future__ import annotations

import ipaddress
import secrets

from fastapi import Request

from vellarys.api.deps import get_container
from vellarys.errors import Unauthorized

PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


class OperatorOnly(Unauthorized):
    """These endpoints need the operator token (Authorization: Bearer ...) or a local client."""


def _local(request: Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token_ok(request: Request) -> bool:
    configured = get_container(request).settings.operator_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if configured is None or scheme.lower() != "bearer" or not given.strip():
        return False
    return secrets.compare_digest(given.strip().encode(), configured.get_secret_value().encode())


async def require_operator(request: Request) -> None:
    """Dependency of the operator-only routes; ``OperatorOnly`` (401) otherwise."""
    if not (_local(request) or _token_ok(request)):
        raise OperatorOnly()
