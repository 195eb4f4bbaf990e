"""How jobs are tried again: at the time they ask for, after the database went away under
them, and (for a write that records what a provider already did) in place, until it lands."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import procrastinate
import procrastinate.jobs
import tenacity
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vellarys.db.uow import unit_of_work
from vellarys.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# What a database that went away looks like from a job: the unit of work's 503, or (from
# code outside one) a driver error, a pool that timed out, a connection closed while it opened.
DATABASE_AWAY = (DatabaseUnavailable, DBAPIError, PoolTimeout, OSError)
# A job that lost the database is tried again after 2, 4, 8... seconds, at most this long,
# this many times (about half an hour: past it the worker itself has given up).
DATABASE_RETRY_MAX_SECONDS = 60
DATABASE_RETRY_ATTEMPTS = 35
# How long a worker keeps trying to record what a provider accepted.
RECORD_SENT_PATIENCE_SECONDS = 120.0


class RetryAt(Exception):
    """Raised by a job to be run again (the same job, so its lock keeps its turn) at ``at``."""

    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(f"{reason}: again at {at.isoformat()}")
        self.at = at


class RetryWhenAsked(procrastinate.BaseRetryStrategy):
    """Retry a job exactly when it asked to (pace, provider backoff), or when the database
    went away under it (an outage must not leave a message pending until the stuck-outbound
    sweep); never otherwise: the services decide whether a failure is worth another attempt."""

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> procrastinate.RetryDecision | None:
        if isinstance(exception, RetryAt):
            return procrastinate.RetryDecision(retry_at=exception.at)
        if isinstance(exception, DATABASE_AWAY) and job.attempts < DATABASE_RETRY_ATTEMPTS:
            wait = min(DATABASE_RETRY_MAX_SECONDS, 2 ** min(job.attempts + 1, 6))
            return procrastinate.RetryDecision(retry_in={"seconds": wait})
        return None


def attempt_of(context: procrastinate.JobContext) -> int:
    """This run's number: 1 the first time, 2 on the first retry..."""
    job = context.job
    return int(getattr(job, "attempts", 0) or 0) + 1 if job is not None else 1


async def keep_recording(
    sessions: async_sessionmaker[AsyncSession],
    write: Callable[[AsyncSession], Awaitable[None]],
    *,
    patience: float = RECORD_SENT_PATIENCE_SECONDS,
) -> None:
    """The provider has the message: keep trying to write that down (each try its own unit
    of work) while the database is away, because a job that gives up here is run again and
    sends it twice, or leaves it uncertain."""
    async for attempt in tenacity.AsyncRetrying(
        retry=tenacity.retry_if_exception_type(DATABASE_AWAY),
        wait=tenacity.wait_exponential(multiplier=0.2, max=5.0),
        stop=tenacity.stop_after_delay(patience),
        before_sleep=_log_record_retry,
        reraise=True,
    ):
        with attempt:
            async with unit_of_work(sessions) as session:
                await write(session)


def _log_record_retry(state: tenacity.RetryCallState) -> None:
    log.warning(
        "could not record a send yet; the database is away", extra={"try": state.attempt_number}
    )
