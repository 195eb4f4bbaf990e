"""Plug the dashboard into the ASGI app: session cookie, static files, page routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from vellarys.bootstrap import Container
from vellarys.web.headers import SecurityHeaders
from vellarys.web.pages import (
    account,
    ai_traces,
    board,
    channel_templates,
    channels,
    console,
    inbox,
    integrations,
    knowledge,
    lead,
    leads,
    login,
    notifications,
    outbox,
    overview,
    privacy,
    properties,
    push,
    pwa,
    reengagement,
    reports,
    settings,
    simulator,
    users,
    visits,
)
from vellarys.web.route import SESSION_COOKIE, WebRoute

STATIC = Path(__file__).parent / "static"

JobRunner = Callable[[], Awaitable[None]]


def web_router() -> APIRouter:
    router = APIRouter(route_class=WebRoute, include_in_schema=False)
    for module in (
        login,
        account,
        overview,
        leads,
        lead,
        inbox,
        ai_traces,
        board,
        properties,
        knowledge,
        settings,
        reengagement,
        reports,
        channels,
        channel_templates,
        integrations,
        users,
        notifications,
        outbox,
        simulator,
        visits,
        console,
        privacy,
        push,
        pwa,
    ):
        router.include_router(module.router)
    return router


# Machine traffic never reads the dashboard's session: it skips the cookie signing work.
MACHINE_PREFIXES = ("/webhooks/", "/api/", "/health", "/metrics")


class DashboardSessions:
    """Signed session cookies for the dashboard's pages only."""

    def __init__(self, app: ASGIApp, *args: Any, **options: Any) -> None:
        self.plain = app
        self.with_session = SessionMiddleware(app, *args, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(MACHINE_PREFIXES):
            await self.plain(scope, receive, send)
        else:
            await self.with_session(scope, receive, send)


def install_web(app: FastAPI, container: Container, *, run_jobs: JobRunner | None = None) -> None:
    """Mount the dashboard on ``app``.

    ``run_jobs``, when given, works the job queue in this process; the simulator page calls
    it after each message so it answers even with no worker running (the queue lives in
    ``vellarys.worker``, which this layer may not import, so the composition root passes it).
    """
    settings = container.settings
    app.add_middleware(
        DashboardSessions,
        secret_key=settings.resolved_secret_key,
        session_cookie=SESSION_COOKIE,
        # The server-side session decides; the cookie just does not outlive it.
        max_age=int(settings.session_max_hours * 3600),
        same_site="lax",
        https_only=(settings.public_url or "").startswith("https"),
    )
    app.add_middleware(SecurityHeaders, https=(settings.public_url or "").startswith("https"))
    app.state.web_run_jobs = run_jobs
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(web_router())
