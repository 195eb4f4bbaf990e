"""Run one periodic task the way the worker's scheduler does: a job on its queue, run by a
real worker, on the stack's database."""

from __future__ import annotations

import time

from procrastinate.exceptions import AlreadyEnqueued

from tests.pipeline.harness import Stack
from vellarys.db.queue import task_name
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue
from vellarys.worker.runner import observe_job


def periodic_task_names() -> set[str]:
    """Every periodic task the worker schedules (short names)."""
    app = make_queue("postgresql://unused@/none")
    return {name.split(":")[-1] for name, _ in app.periodic_registry.periodic_tasks}


async def run_periodic(stack: Stack, name: str) -> str:
    """Defer the periodic task ``name`` now, run it, and return the job's final status."""
    runtime.install(stack.container)
    app = make_queue(stack.container.database_url)
    full = task_name(name)
    async with app.open_async():
        task = app.tasks[full]
        try:
            job_id = await task.configure(queue=task.queue).defer_async(timestamp=int(time.time()))
        except AlreadyEnqueued:  # a worker's own periodic deferrer queued it this minute
            job_id = await stack.scalar(
                "SELECT max(id) FROM procrastinate_jobs WHERE task_name = :t", t=full
            )
        await app.run_worker_async(
            queues=[task.queue],
            wait=False,
            install_signal_handlers=False,
            worker_middleware=[observe_job],
        )
    return str(await stack.scalar("SELECT status FROM procrastinate_jobs WHERE id = :i", i=job_id))
