"""Prometheus scrape endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from vellarys.api.deps import get_container
from vellarys.api.operator import require_operator
from vellarys.bootstrap import Container
from vellarys.db.queries import system
from vellarys.db.uow import unit_of_work
from vellarys.errors import DatabaseUnavailable
from vellarys.telemetry.metrics import render

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, dependencies=[Depends(require_operator)])
async def scrape(container: Annotated[Container, Depends(get_container)]) -> Response:
    depth, oldest = 0, None
    try:
        async with unit_of_work(container.sessions) as session:
            facts = await system.database_status(session)
        depth, oldest = facts.queue_depth, facts.oldest_pending_seconds
    except (DatabaseUnavailable, OSError, SQLAlchemyError):
        pass  # the counters are still worth serving; the queue gauges read 0
    return Response(render(depth, oldest), media_type=CONTENT_TYPE_LATEST)
