"""Sign in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.uow import unit_of_work
from vellarys.services.auth import TooManyAttempts, authenticate
from vellarys.services.demo import is_published_demo_login
from vellarys.services.operators import authenticate_operator, open_operator_session, record_login
from vellarys.services.sessions import open_session
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute, plain_http_message
from vellarys.web.session import (
    client_ip,
    container_of,
    session_policy,
    sign_out,
    start_operator_session,
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
    agent = request.headers.get("user-agent")
    operator_token = ""
    try:
        async with unit_of_work(container.sessions) as session:
            now, ip = container.clock.now(), client_ip(request)
            viewer = await authenticate(session, email=email, password=password, ip=ip, now=now)
            operator = None
            if viewer is None:
                operator = await authenticate_operator(
                    session, email=email, password=password, ip=ip, now=now
                )
            if viewer is not None:
                token = await open_session(
                    session,
                    viewer=viewer,
                    now=now,
                    policy=session_policy(request),
                    ip=ip,
                    user_agent=agent,
                )
            elif operator is not None:
                operator_token = await open_operator_session(
                    session, operator=operator, now=now, ip=ip, user_agent=agent
                )
            await record_login(
                session,
                email=email,
                succeeded=viewer is not None or operator is not None,
                at=now,
                ip=ip,
                user_agent=agent,
                tenant_id=viewer.tenant_id if viewer else None,
                user_id=viewer.user_id if viewer else None,
                operator_id=operator.operator_id if operator else None,
            )
    except TooManyAttempts as exc:
        viewer, error, status = None, exc.message, 429
    if operator_token:
        start_operator_session(request, operator_token)
        return RedirectResponse(target if target.startswith("/console") else "/console", 303)
    if viewer is None:
        context = {"next": target, "email": email, "error": error}
        return render(request, "login.html", context, status=status)
    start_session(request, viewer, token)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await sign_out(request)
    return RedirectResponse("/login", status_code=303)
