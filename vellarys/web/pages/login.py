"""Sign in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.uow import unit_of_work
from vellarys.services.auth import TooManyAttempts, authenticate
from vellarys.services.demo import is_published_demo_login
from vellarys.services.sessions import open_session
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute, plain_http_message
from vellarys.web.session import (
    client_ip,
    container_of,
    session_policy,
    sign_out,
    start_session,
)

router = APIRouter(route_class=WebRoute)


def _safe_next(target: str | None) -> str:
    # Only paths of this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    context = {"next": _safe_next(next), "email": "", "error": plain_http_message(request)}
    return render(request, "login.html", context)


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await form_fields(request)
    email, target = fields.get("email", "").strip(), _safe_next(fields.get("next"))
    container = container_of(request)
    error, status, token = "E-mail ou senha incorretos.", 401, ""
    password = fields.get("password", "")
    if container.settings.environment == "production" and is_published_demo_login(email, password):
        # The demo's login is public: it never opens a production dashboard.
        context = {"next": target, "email": email, "error": error}
        return render(request, "login.html", context, status=status)
    try:
        async with unit_of_work(container.sessions) as session:
            now = container.clock.now()
            viewer = await authenticate(
                session,
                email=email,
                password=password,
                ip=client_ip(request),
                now=now,
            )
            if viewer is not None:
                token = await open_session(
                    session,
                    viewer=viewer,
                    now=now,
                    policy=session_policy(request),
                    ip=client_ip(request),
                    user_agent=request.headers.get("user-agent"),
                )
    except TooManyAttempts as exc:
        viewer, error, status = None, exc.message, 429
    if viewer is None:
        context = {"next": target, "email": email, "error": error}
        return render(request, "login.html", context, status=status)
    start_session(request, viewer, token)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await sign_out(request)
    return RedirectResponse("/login", status_code=303)
