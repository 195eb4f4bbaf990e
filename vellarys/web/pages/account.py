"""The signed-in user's own password, and the one-time reset link an admin hands out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.uow import unit_of_work
from vellarys.errors import BadRequest
from vellarys.services import passwords
from vellarys.services.sessions import open_session
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import (
    client_ip,
    container_of,
    end_session,
    flash,
    session_policy,
    staff_work,
    start_session,
)

router = APIRouter(route_class=WebRoute)


@router.get("/account/password")
async def password_page(request: Request) -> Response:
    async with staff_work(request):
        pass
    return render(request, "password.html", {"error": None})


@router.post("/account/password")
async def change_password(request: Request) -> Response:
    fields = await form_fields(request)
    now = container_of(request).clock.now()
    try:
        async with staff_work(request) as (session, viewer):
            await passwords.change_password(
                session,
                tenant_id=viewer.tenant_id,
                user_id=viewer.user_id,
                current=fields.get("current_password", ""),
                new=fields.get("new_password", ""),
                confirmation=fields.get("confirm_password", ""),
                now=now,
            )
            # Every session ended with the old password; this browser gets a new one.
            token = await open_session(
                session,
                viewer=viewer,
                now=now,
                policy=session_policy(request),
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent"),
            )
    except BadRequest as exc:
        return render(request, "password.html", {"error": exc.message}, status=400)
    start_session(request, viewer, token)
    flash(request, "Senha alterada. As outras sessões abertas com a senha antiga foram encerradas.")
    return RedirectResponse("/", status_code=303)


def _reset_page(request: Request, token: str, status: int = 200, **extra: Any) -> Response:
    context = {"token": token, "error": None, "invalid": False, "email": None, **extra}
    return render(request, "reset_password.html", context, status=status)


@router.get("/reset/{token}")
async def reset_page(request: Request, token: str) -> Response:
    container = container_of(request)
    try:
        # The link is the credential: no agency is known before it is looked up.
        async with unit_of_work(container.sessions) as session:
            user = await passwords.reset_target(session, token=token, now=container.clock.now())
    except passwords.ResetLinkInvalid as exc:
        return _reset_page(request, "", status=410, invalid=True, error=exc.message)
    return _reset_page(request, token, email=user.email)


@router.post("/reset/{token}")
async def reset(request: Request, token: str) -> Response:
    fields = await form_fields(request)
    container = container_of(request)
    try:
        async with unit_of_work(container.sessions) as session:
            await passwords.reset_password(
                session,
                token=token,
                new=fields.get("new_password", ""),
                confirmation=fields.get("confirm_password", ""),
                now=container.clock.now(),
            )
    except passwords.ResetLinkInvalid as exc:
        return _reset_page(request, "", status=410, invalid=True, error=exc.message)
    except BadRequest as exc:
        return _reset_page(request, token, status=400, error=exc.message)
    end_session(request)
    flash(request, "Senha definida. Entre com a nova senha.")
    return RedirectResponse("/login", status_code=303)
