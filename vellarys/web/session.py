"""Who is signed in: the signed cookie names a server-side session, checked on every request."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.bootstrap import Container
from vellarys.db.uow import unit_of_work
from vellarys.errors import Forbidden, NotFound
from vellarys.services.auth import Viewer
from vellarys.services.operators import OperatorViewer, operator_of, revoke_operator_session
from vellarys.services.sessions import LOGOUT, SessionPolicy, revoke_session, session_viewer

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """No valid session: the route class sends the browser to /login."""


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def session_policy(request: Request) -> SessionPolicy:
    settings = container_of(request).settings
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )


def start_session(request: Request, viewer: Viewer, token: str) -> None:
    """A fresh cookie (and CSRF token) naming the server-side session just opened."""
    request.session.clear()
    request.session.update(
        {
            "sid": token,
            "tid": str(viewer.tenant_id),
            "csrf": secrets.token_urlsafe(32),
        }
    )


def start_operator_session(request: Request, token: str) -> None:
    """A fresh cookie naming an operator's server-side session (no agency in it)."""
    request.session.clear()
    request.session.update({"osid": token, "csrf": secrets.token_urlsafe(32)})


def end_session(request: Request) -> None:
    request.session.clear()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _cookie_ids(request: Request) -> tuple[str, uuid.UUID]:
    token = request.session.get("sid")
    if not isinstance(token, str) or not token:
        raise LoginRequired()
    try:
        tenant_id = uuid.UUID(str(request.session.get("tid")))
    except ValueError as exc:
        raise LoginRequired() from exc
    return token, tenant_id


async def viewer_of(session: AsyncSession, request: Request) -> Viewer:
    token, tenant_id = _cookie_ids(request)
    viewer = await session_viewer(
        session,
        token=token,
        tenant_id=tenant_id,
        now=container_of(request).clock.now(),
        policy=session_policy(request),
    )
    if viewer is None:
        end_session(request)
        raise LoginRequired()
    request.state.viewer = viewer
    return viewer


async def sign_out(request: Request) -> None:
    """Revoke this browser's server-side session, then forget the cookie."""
    operator_token = request.session.get("osid")
    if isinstance(operator_token, str) and operator_token:
        container = container_of(request)
        async with unit_of_work(container.sessions) as session:
            await revoke_operator_session(session, token=operator_token, now=container.clock.now())
        end_session(request)
        return
    try:
        token, tenant_id = _cookie_ids(request)
    except LoginRequired:
        end_session(request)
        return
    container = container_of(request)
    async with unit_of_work(container.sessions, tenant_id=tenant_id) as session:
        await revoke_session(
            session, token=token, tenant_id=tenant_id, now=container.clock.now(), reason=LOGOUT
        )
    end_session(request)


@asynccontextmanager
async def staff_work(
    request: Request, *, admin: bool = False, manager: bool = False
) -> AsyncIterator[tuple[AsyncSession, Viewer]]:
    """One unit of work for a signed-in request; it commits when the block ends, before the
    response is sent. ``admin=True`` lets only admins in; ``manager=True`` admins and
    managers (everything but channels, keys, users and the assistant's settings)."""
    _, tenant_id = _cookie_ids(request)
    # Row-level security then shows this transaction the signed-in agency's rows only.
    async with unit_of_work(container_of(request).sessions, tenant_id=tenant_id) as session:
        viewer = await viewer_of(session, request)
        if admin and not viewer.is_admin:
            raise Forbidden("Somente administradores da imobiliária podem acessar esta página.")
        if manager and not viewer.is_manager:
            raise Forbidden("Somente gestores da imobiliária podem acessar esta página.")
        yield session, viewer


@asynccontextmanager
async def operator_work(request: Request) -> AsyncIterator[tuple[AsyncSession, OperatorViewer]]:
    """One unit of work for the operator's console. Agency staff get a 404 (the console is
    not theirs to find); a browser with no session is sent to the login page."""
    token = request.session.get("osid")
    if not isinstance(token, str) or not token:
        if request.session.get("sid"):
            raise NotFound("Página não encontrada.")
        raise LoginRequired()
    container = container_of(request)
    # The console reads across agencies: it runs as the connecting role, no tenant named.
    async with unit_of_work(container.sessions) as session:
        operator = await operator_of(session, token=token, now=container.clock.now())
        if operator is None:
            end_session(request)
            raise LoginRequired()
        request.state.operator = operator
        yield session, operator


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once on the next page (after a redirect)."""
    request.session.setdefault("flash", []).append([kind, message])


def take_flashes(request: Request) -> list[list[str]]:
    return list(request.session.pop("flash", []))
