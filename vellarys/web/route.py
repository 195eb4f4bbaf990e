"""The dashboard's route class: sign-in redirects, CSRF on every POST, errors as pages."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from vellarys.errors import VellarysError
from vellarys.web.render import render
from vellarys.web.session import CSRF_FIELD, CSRF_HEADER, LoginRequired, csrf_token

SESSION_COOKIE = "vellarys_session"

log = logging.getLogger(__name__)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            if request.method == "POST" and not await _csrf_ok(request):
                message = plain_http_message(request) or (
                    "Sessão expirada ou formulário inválido. Recarregue a página e tente de novo."
                )
                return render(
                    request, "error.html", {"status": 403, "message": message}, status=403
                )
            try:
                return await handler(request)
            except LoginRequired:
                return _to_login(request)
            except VellarysError as exc:
                return _error_page(request, exc)

        return route


# What agency staff read when the database is away or too slow (a 503, whatever caused it).
UNAVAILABLE_MESSAGE = "Não conseguimos acessar o banco de dados agora. Tente de novo em instantes."
RETRY_AFTER_SECONDS = "5"


def _error_page(request: Request, exc: VellarysError) -> Response:
    if exc.status_code >= 500:
        log.warning("dashboard error", extra={"error": exc.message})
    message = UNAVAILABLE_MESSAGE if exc.status_code == 503 else exc.message
    page = render(
        request, "error.html", {"status": exc.status_code, "message": message},
        status=exc.status_code,
    )  # fmt: skip
    if exc.status_code == 503:
        page.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return page


async def _csrf_ok(request: Request) -> bool:
    expected = request.session.get("csrf")
    if not expected:
        return False
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given is not None and secrets.compare_digest(given, expected)


def plain_http_message(request: Request) -> str | None:
    """Why a form fails when the browser came over plain HTTP to an HTTPS deployment.

    The session cookie is HTTPS-only there, so the browser never sends it back and every form
    would look expired. ``None`` when the request is not in that situation.
    """
    public_url = request.app.state.container.settings.public_url or ""
    if not public_url.startswith("https://") or request.url.scheme == "https":
        return None
    if request.cookies.get(SESSION_COOKIE):
        return None
    login = public_url.rstrip("/") + "/login"
    return (
        f"Este painel só funciona por HTTPS: acesse {login}. "
        "O cookie de sessão é enviado apenas por HTTPS (VELLARYS_PUBLIC_URL começa com https://). "
        "Atrás de um proxy, ele deve enviar X-Forwarded-Proto: https, e o IP do proxy deve estar "
        "em FORWARDED_ALLOW_IPS."
    )


def _to_login(request: Request) -> Response:
    csrf_token(request)  # the login form needs one
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    url = f"/login?next={quote(target)}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
