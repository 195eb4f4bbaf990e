"""The agency's team (admins only): invite with a one-time temporary password, deactivate."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services import staff
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import flash, staff_work

router = APIRouter(route_class=WebRoute)


async def _page(request: Request, *, status: int = 200, **extra: Any) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        users = await staff.list_users(session, viewer.tenant_id)
    context = {"users": users, "error": None, "values": {}, "invitation": None, **extra}
    return render(request, "users.html", context, status=status)


@router.get("/users")
async def users_page(request: Request) -> Response:
    return await _page(request)


@router.post("/users")
async def invite(request: Request) -> Response:
    fields = await form_fields(request)
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            invitation = await staff.create_user(
                session,
                viewer.actor,
                email=fields.get("email", ""),
                name=fields.get("name", ""),
                role=fields.get("role", ""),
                phone=fields.get("phone"),
            )
    except (BadRequest, Conflict) as exc:
        return await _page(request, error=exc.message, values=fields, status=exc.status_code)
    shown = {"email": invitation.user.email, "password": invitation.temporary_password}
    # Rendered directly (not redirected) so the password never sits in a cookie or a URL.
    return await _page(request, invitation=shown)


async def _set_active(request: Request, user_id: str, *, active: bool) -> Response:
    try:
        key = uuid.UUID(user_id)
    except ValueError as exc:
        raise NotFound("Usuário não encontrado.") from exc
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            user = await staff.set_active(
                session, tenant_id=viewer.tenant_id, user_id=key, by=viewer.user_id, active=active
            )
    except BadRequest as exc:
        flash(request, exc.message, "error")
        return RedirectResponse("/users", status_code=303)
    flash(request, f"{user.name} {'reativado' if active else 'desativado'}.")
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/deactivate")
async def deactivate(request: Request, user_id: str) -> Response:
    return await _set_active(request, user_id, active=False)


@router.post("/users/{user_id}/activate")
async def activate(request: Request, user_id: str) -> Response:
    return await _set_active(request, user_id, active=True)
