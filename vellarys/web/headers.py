"""Security headers on every response: the dashboard's Content-Security-Policy (htmx works
with it: no inline script, no eval), no framing, no MIME sniffing, a strict referrer, and
HSTS when the deployment is served over https."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DASHBOARD_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # Templates use a few style attributes; no <style> elements, no inline script.
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
# The API documentation pages load their viewer from a CDN: only framing is refused there.
DOCS_CSP = "frame-ancestors 'none'"
MACHINE_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_PREFIXES = ("/docs", "/redoc")
MACHINE_PREFIXES = ("/webhooks/", "/api/", "/health", "/metrics", "/openapi.json")
HSTS = "max-age=31536000; includeSubDomains"


def policy_for(path: str) -> str:
    if path.startswith(DOCS_PREFIXES):
        return DOCS_CSP
    if path.startswith(MACHINE_PREFIXES):
        return MACHINE_CSP
    return DASHBOARD_CSP


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = policy_for(str(scope.get("path", "")))
        hsts = self.https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
