"""The public address's TLS certificate, as a WhatsApp provider would see it."""

from __future__ import annotations

import socket
import ssl
import time


class CertificateProblem(Exception):
    """The certificate was presented but is not acceptable (untrusted, wrong name, expired)."""


class Unreachable(Exception):
    """Nothing answered at host:port (firewall, DNS, the proxy is down)."""


def certificate_days_left(
    host: str, port: int = 443, *, timeout: float = 5.0, cafile: str | None = None
) -> float:
    """Days until the verified certificate of ``host:port`` expires."""
    context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert()
    except ssl.SSLCertVerificationError as exc:
        raise CertificateProblem(exc.verify_message or str(exc)) from exc
    except ssl.SSLError as exc:
        raise CertificateProblem(str(exc)) from exc
    except OSError as exc:
        raise Unreachable(str(exc) or type(exc).__name__) from exc
    not_after = str((cert or {}).get("notAfter", ""))
    if not not_after:
        raise CertificateProblem("no certificate expiry in the handshake")
    return (ssl.cert_time_to_seconds(not_after) - time.time()) / 86400
