"""Run the worker process: the queue app with the container the jobs need.

A database outage is an ordinary event here. When procrastinate's worker stops because
its connection went away (a failed listener, heartbeat or fetch), the runner reconnects
with backoff and starts it again; it gives up, with a non-zero exit status so a
supervisor restarts it, only after the database has been away for
``worker_give_up_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import ConnectorException
from procrastinate.worker import Worker

from vellarys.bootstrap import build
from vellarys.config import Settings
from vellarys.db import queue as jobs
from vellarys.db.url import libpq_url
from vellarys.telemetry import metrics
from vellarys.telemetry.logs import log_context
from vellarys.worker import job_logs, runtime
from vellarys.worker.queue import make_queue
from vellarys.worker.tasks import rescue_jobs

log = logging.getLogger(__name__)

# What a lost database looks like from here (procrastinate wraps psycopg's errors).
DATABASE_AWAY = (ConnectorException, psycopg.Error, OSError)
# A run that lasted this long was healthy: the next failure starts the backoff afresh.
HEALTHY_RUN_SECONDS = 30.0
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0
# How often an idle worker looks for jobs that became due (debounced answers, paced parts):
# a new job wakes it at once, but nothing announces that a scheduled one is due.
POLL_SECONDS = 0.5
# The queue workers of one process (their loggers are named after them).
WORKER_NAMES = ("pipeline", "outbound")


async def observe_job(call_next: Any, context: procrastinate.JobContext, worker: Any) -> Any:
    """Worker middleware: job id in every log line, duration and start delay in metrics."""
    job = context.job
    task = job.task_name.split(":")[-1]
    if job.scheduled_at is not None:
        delay = (context.start_timestamp or time.time()) - job.scheduled_at.timestamp()
        metrics.JOB_START_DELAY.labels(task).observe(max(0.0, delay))
    started = time.perf_counter()
    with log_context(job_id=job.id, task=task):
        try:
            return await call_next()
        finally:
            metrics.JOB_SECONDS.labels(task).observe(time.perf_counter() - started)


async def run_worker(settings: Settings, *, wait: bool = True) -> int:
    """Run until asked to stop (exit status 0) or until the database stayed away too long (1)."""
    container = build(settings)
    runtime.install(container)
    job_logs.install(WORKER_NAMES)
    stop = asyncio.Event()
    handled = _on_signals(stop)
    try:
        return await _keep_running(settings, container.database_url, stop, wait=wait)
    finally:
        for signum in handled:
            asyncio.get_running_loop().remove_signal_handler(signum)
        await container.aclose()


async def _keep_running(settings: Settings, url: str, stop: asyncio.Event, *, wait: bool) -> int:
    backoff, down_since = BACKOFF_FIRST, None
    past_lives: set[int] = set()
    while not stop.is_set():
        started = time.monotonic()
        try:
            await _ping(url)
            finished = await _run_once(settings, url, stop, wait=wait, past_lives=past_lives)
            healthy = time.monotonic() - started > HEALTHY_RUN_SECONDS
        except DATABASE_AWAY as exc:
            finished, healthy = False, False
            log.warning("worker lost the database; reconnecting", extra={"error": repr(exc)})
        if finished or stop.is_set():
            return 0
        if healthy:
            backoff, down_since = BACKOFF_FIRST, None
        down_since = down_since or started
        if time.monotonic() - down_since > settings.worker_give_up_seconds:
            log.error("database away too long; the worker gives up")
            return 1
        metrics.WORKER_RECONNECTS.inc()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=backoff)
        backoff = min(BACKOFF_MAX, backoff * 2)
    return 0


async def _ping(url: str) -> None:
    """Fail fast while the database is away (the queue's pool would wait 30 s to say so)."""
    conn = await psycopg.AsyncConnection.connect(libpq_url(url), connect_timeout=5)
    await conn.close()


async def _run_once(
    settings: Settings, url: str, stop: asyncio.Event, *, wait: bool, past_lives: set[int]
) -> bool:
    """One life of the worker; True when it ended because it was asked to (or ran dry).

    ``past_lives`` collects the worker ids of this process's earlier lives: their jobs left
    ``doing`` are put back at once, without waiting for their heartbeat to go stale."""
    queue = make_queue(url)
    async with queue.open_async():
        # A worker that died may have left jobs "doing": they hold their lead's lock.
        await rescue_jobs(queue, settings.stalled_job_seconds, also_workers=past_lives)
        workers = [
            _worker(queue, settings, jobs.WORK_QUEUES, wait=wait),
            _worker(queue, settings, (jobs.OUTBOUND_QUEUE,), wait=wait, outbound=True),
        ]
        slots = [asyncio.create_task(_run(worker)) for worker in workers]
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait(
            [*slots, stopping], return_when=asyncio.FIRST_COMPLETED if wait else "ALL_COMPLETED"
        )
        for task in [*slots, stopping]:
            task.cancel()
        results = await asyncio.gather(*slots, return_exceptions=True)
        past_lives.update(w.worker_id for w in workers if w.worker_id is not None)
    failures = [r for r in results if isinstance(r, Exception)]
    if failures and not stop.is_set():
        raise failures[0]
    return stop.is_set() or not wait


def _worker(
    queue: procrastinate.App,
    settings: Settings,
    queues: tuple[str, ...],
    *,
    wait: bool,
    outbound: bool = False,
) -> Worker:
    """One procrastinate worker on ``queues``; sends get slots of their own."""
    stalled_after = settings.stalled_job_seconds
    return Worker(
        app=queue,
        queues=list(queues),
        concurrency=settings.outbound_concurrency if outbound else pipeline_slots(settings),
        wait=wait,
        install_signal_handlers=False,
        update_heartbeat_interval=max(0.5, min(10.0, stalled_after / 4)),
        stalled_worker_timeout=stalled_after,
        fetch_job_polling_interval=POLL_SECONDS,
        worker_middleware=[observe_job],
        name=WORKER_NAMES[1] if outbound else WORKER_NAMES[0],
    )


def pipeline_slots(settings: Settings) -> int:
    """``worker_concurrency``, or fewer when the process's connection pool cannot serve that
    many jobs beside its send slots (each running job holds one connection at a time): a
    slot without a connection only waits ``db_pool_timeout`` and fails."""
    capacity = settings.db_pool_size + settings.db_max_overflow
    slots = min(settings.worker_concurrency, max(1, capacity - settings.outbound_concurrency))
    if slots < settings.worker_concurrency:
        log.warning(
            "worker slots lowered to fit the connection pool",
            extra={"slots": slots, "pool": capacity, "asked": settings.worker_concurrency},
        )
    return slots


async def _run(worker: Any) -> None:
    await worker.run()  # procrastinate's Worker.run is not annotated


def _on_signals(stop: asyncio.Event) -> list[signal.Signals]:
    """SIGINT and SIGTERM stop the worker gracefully (running jobs finish first)."""
    loop, handled = asyncio.get_running_loop(), list[signal.Signals]()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
    return handled
