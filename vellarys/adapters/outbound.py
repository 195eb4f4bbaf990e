"""Calls to addresses an agency admin typed: checked when saved and again at connect time.

The check at save time catches a typo'd ``http://127.0.0.1``; the check at connect time
catches a name that resolved to a public address when saved and to an internal one later
(DNS rebinding). The transport resolves the name itself, checks every address, and connects
to the checked address (TLS still verifies the certificate against the name).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from vellarys.domain.address import (
    IpAddress,
    UnsafeUrl,
    internal_name,
    is_public,
    literal_ip,
    parse_outbound,
)


class BlockedAddress(httpx.TransportError):
    """The URL leads to a private, loopback or link-local address, which is not allowed."""


Resolver = Callable[[str, int], Awaitable[list[IpAddress]]]


async def resolve(host: str, port: int) -> list[IpAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IpAddress] = []
    for info in infos:
        address = literal_ip(str(info[4][0]).split("%")[0])
        if address is not None and address not in found:
            found.append(address)
    return found


async def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """``UnsafeUrl`` unless ``url`` is http(s) and (unless allowed) leads to public addresses.

    A name that does not resolve now is accepted: the connect-time check still applies.
    """
    _, host = parse_outbound(url)
    if allow_private:
        return
    if internal_name(host):
        raise UnsafeUrl("endereços internos (localhost, redes privadas) não são permitidos")
    address = literal_ip(host)
    try:
        addresses = [address] if address is not None else await resolver(host, 443)
    except OSError:
        return
    if any(not is_public(a) for a in addresses):
        raise UnsafeUrl("endereços internos (localhost, redes privadas) não são permitidos")


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that refuses non-public targets unless ``allow_private``."""

    def __init__(
        self, *, allow_private: bool, resolver: Resolver = resolve, **transport_options: Any
    ) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self.inner = httpx.AsyncHTTPTransport(**transport_options)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise BlockedAddress(f"scheme {request.url.scheme!r} is not allowed", request=request)
        if self.allow_private:
            return await self.inner.handle_async_request(request)
        host = request.url.host
        address = await self._checked_address(request, host)
        # Connect to the address just checked, not to whatever the name resolves to next.
        request.url = request.url.copy_with(host=str(address))
        if request.url.scheme == "https" and literal_ip(host) is None:
            request.extensions = {**request.extensions, "sni_hostname": host}
        return await self.inner.handle_async_request(request)

    async def _checked_address(self, request: httpx.Request, host: str) -> IpAddress:
        literal = literal_ip(host)
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = [literal] if literal is not None else await self.resolver(host, port)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host!r}", request=request) from exc
        if not addresses or internal_name(host) or any(not is_public(a) for a in addresses):
            raise BlockedAddress(f"{host!r} is a private address", request=request)
        return addresses[0]

    async def aclose(self) -> None:
        await self.inner.aclose()
