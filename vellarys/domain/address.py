"""Which outbound addresses an agency may make the server call (no I/O here).

An agency admin types URLs (an Evolution server, an LLM endpoint) that the server then
calls: left unchecked, that lets a tenant reach the deployment's own network.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL is not an http(s) address the server may call."""


def parse_outbound(url: str) -> tuple[str, str]:
    """(scheme, host) of an http(s) URL with a host; ``UnsafeUrl`` otherwise."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise UnsafeUrl("não é uma URL válida") from exc
    if parts.scheme.lower() not in SCHEMES:
        raise UnsafeUrl("use uma URL começando com http:// ou https://")
    host = (parts.hostname or "").strip()
    if not host:
        raise UnsafeUrl("a URL não tem endereço de servidor")
    return parts.scheme.lower(), host


def literal_ip(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address: IpAddress) -> bool:
    """False for private, loopback, link-local, shared, multicast and reserved addresses
    (an IPv4 address mapped into IPv6 is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def internal_name(host: str) -> bool:
    """Names that always mean this machine or its private network."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith((".localhost", ".internal", ".local"))
