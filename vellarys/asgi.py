"""The ASGI application: the composition root that mounts API, webhooks, health and dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vellarys import __version__
from vellarys.api import health, metrics, portal, v1, webhooks
from vellarys.api.admission import Admission
from vellarys.api.body_limit import BodyLimit, BodyLimits
from vellarys.api.errors import install_error_handlers
from vellarys.bootstrap import Container, build
from vellarys.config import load_settings
from vellarys.telemetry.access import AccessLog
from vellarys.telemetry.logs import configure_logging
from vellarys.web import install_web


def create_app(container: Container) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await container.aclose()

    app = FastAPI(title="Vellarys", version=__version__, lifespan=lifespan)
    app.state.container = container
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(webhooks.router)
    app.include_router(portal.router)
    app.include_router(v1.router)
    install_web(app, container)
    # Added after the dashboard, so it runs before its session cookie is even read.
    settings = container.settings
    limits = BodyLimits(
        webhook_bytes=settings.webhook_max_bytes,
        request_bytes=settings.request_max_bytes,
        upload_bytes=settings.upload_max_bytes,
    )
    app.add_middleware(BodyLimit, limits=limits)
    # Outside the body limit: a post waiting for its turn has not been read yet.
    app.add_middleware(
        Admission,
        slots=settings.webhook_concurrency,
        wait_seconds=settings.webhook_wait_seconds,
    )
    app.add_middleware(AccessLog)  # outermost: it sees the status every other layer produced
    return app


def app_from_env() -> FastAPI:
    """Factory used by ``vellarys api`` (uvicorn --factory)."""
    settings = load_settings()
    configure_logging(settings.log_level, log_format=settings.log_format)
    return create_app(build(settings))
