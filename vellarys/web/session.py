"""Who is signed in: the signed session cookie, checked against the database on every request."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.bootstrap import Container
from vellarys.db.uow import unit_of_work
from vellarys.errors import Forbidden
from vellarys.services.auth import Viewer, signed_in

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


def start_session(request: Request, viewer: Viewer) -> None:
    """A fresh session (and CSRF token) for the user who just signed in."""
    request.session.clear()
    request.session.update(
        {
            "uid": str(viewer.user_id),
            "tid": str(viewer.tenant_id),
            "csrf": secrets.token_urlsafe(32),
        }
    )


def end_session(request: Request) -> None:
    request.session.clear()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _cookie_ids(request: Request) -> tuple[uuid.UUID, uuid.UUID]:
    try:
        user_id = uuid.UUID(str(request.session.get("uid")))
        tenant_id = uuid.UUID(str(request.session.get("tid")))
    except ValueError as exc:
        raise LoginRequired() from exc
    return user_id, tenant_id


async def viewer_of(session: AsyncSession, request: Request) -> Viewer:
    user_id, tenant_id = _cookie_ids(request)
    viewer = await signed_in(session, user_id=user_id, tenant_id=tenant_id)
    if viewer is None:
        end_session(request)
        raise LoginRequired()
    request.state.viewer = viewer
    return viewer


@asynccontextmanager
async def staff_work(
    request: Request, *, admin: bool = False
) -> AsyncIterator[tuple[AsyncSession, Viewer]]:
    """One unit of work for a signed-in request; it commits when the block ends, before the
    response is sent. ``admin=True`` refuses brokers."""
    _, tenant_id = _cookie_ids(request)
    # Row-level security then shows this transaction the signed-in agency's rows only.
    async with unit_of_work(container_of(request).sessions, tenant_id=tenant_id) as session:
        viewer = await viewer_of(session, request)
        if admin and not viewer.is_admin:
            raise Forbidden("Somente administradores da imobiliária podem acessar esta página.")
        yield session, viewer


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once on the next page (after a redirect)."""
    request.session.setdefault("flash", []).append([kind, message])


def take_flashes(request: Request) -> list[list[str]]:
    return list(request.session.pop("flash", []))
