"""Run the worker process: the queue app with the container the jobs need."""

from __future__ import annotations

import logging
import time
from typing import Any

import procrastinate

from vellarys.bootstrap import build
from vellarys.config import Settings
from vellarys.telemetry import metrics
from vellarys.telemetry.logs import configure_logging, log_context
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue
from vellarys.worker.tasks import rescue_jobs

log = logging.getLogger(__name__)


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


async def run_worker(settings: Settings, *, wait: bool = True) -> None:
    configure_logging(settings.log_level, log_format=settings.log_format)
    container = build(settings)
    runtime.install(container)
    queue = make_queue(container.database_url)
    stalled_after = settings.stalled_job_seconds
    try:
        async with queue.open_async():
            # A worker that died may have left jobs "doing": they hold their lead's lock.
            await rescue_jobs(queue, stalled_after)
            await queue.run_worker_async(
                concurrency=settings.worker_concurrency,
                wait=wait,
                install_signal_handlers=True,
                update_heartbeat_interval=max(0.5, min(10.0, stalled_after / 4)),
                stalled_worker_timeout=stalled_after,
                worker_middleware=[observe_job],
            )
    finally:
        await container.aclose()
