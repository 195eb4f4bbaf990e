"""The agency's team (admins only): invite with a one-time temporary password, deactivate."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.queries import user as user_queries
from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services import passwords, sessions, staff
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


async def _page(request: Request, *, status: int = 200, **extra: Any) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        users = await staff.list_users(session, viewer.tenant_id)
    context = {
        "users": users,
        "error": None,
        "values": {},
        "invitation": None,
        "reset_link": None,
        "profile_error": None,
        **extra,
    }
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


def _user_key(user_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(user_id)
    except ValueError as exc:
        raise NotFound("Usuário não encontrado.") from exc


async def _set_active(request: Request, user_id: str, *, active: bool) -> Response:
    key = _user_key(user_id)
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            user = await staff.set_active(
                session, tenant_id=viewer.tenant_id, user_id=key, by=viewer.user_id, active=active
            )
            if not active:
                await sessions.revoke_user_sessions(
                    session,
                    tenant_id=viewer.tenant_id,
                    user_id=key,
                    now=container_of(request).clock.now(),
                    reason=sessions.DEACTIVATED,
                )
    except (BadRequest, Conflict) as exc:
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


@router.post("/users/{user_id}/reset-link")
async def reset_link(request: Request, user_id: str) -> Response:
    """A one-time link for the user to set a new password, shown once to the admin."""
    key, container = _user_key(user_id), container_of(request)
    async with staff_work(request, admin=True) as (session, viewer):
        token = await passwords.issue_reset_link(
            session,
            tenant_id=viewer.tenant_id,
            user_id=key,
            issued_by=viewer.user_id,
            now=container.clock.now(),
            valid_for=timedelta(minutes=container.settings.password_reset_minutes),
        )
        user = await user_queries.get(session, viewer.tenant_id, key)
    shown = {
        "email": user.email if user else "",
        "url": f"{container.settings.base_url}/reset/{token}",
        "minutes": int(container.settings.password_reset_minutes),
    }
    # Rendered directly (not redirected) so the link never sits in a cookie or a URL.
    return await _page(request, reset_link=shown)


@router.post("/users/{user_id}/sessions/revoke")
async def revoke_sessions(request: Request, user_id: str) -> Response:
    """Sign a user out everywhere (a lost phone, a shared computer)."""
    key = _user_key(user_id)
    async with staff_work(request, admin=True) as (session, viewer):
        user = await user_queries.get(session, viewer.tenant_id, key)
        if user is None:
            raise NotFound("Usuário não encontrado.")
        ended = await sessions.revoke_user_sessions(
            session,
            tenant_id=viewer.tenant_id,
            user_id=key,
            now=container_of(request).clock.now(),
            reason=sessions.BY_ADMIN,
        )
    flash(request, f"{ended} sessão(ões) de {user.name} encerrada(s).")
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/profile")
async def update_profile(request: Request, user_id: str) -> Response:
    """Phone, role, areas, specialities, daily cap, availability and vacation of a user."""
    key = _user_key(user_id)
    form = await request.form()
    fields = await form_fields(request)
    # Checkboxes: several specialities under one name; an unchecked box is simply absent.
    fields["specialities"] = ",".join(str(v) for v in form.getlist("specialities"))
    fields["available"] = "on" if fields.get("available") == "on" else "off"
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            user = await staff.update_user(session, viewer.actor, user_id=key, fields=fields)
    except BadRequest as exc:
        error = {"user": str(key), "message": exc.message}
        return await _page(request, profile_error=error, status=exc.status_code)
    flash(request, f"Perfil de {user.name} salvo.")
    return RedirectResponse("/users", status_code=303)
