"""Run the worker process: the queue app with the container the jobs need."""

from __future__ import annotations

import logging

from vellarys.bootstrap import build
from vellarys.config import Settings
from vellarys.worker.queue import make_queue

log = logging.getLogger(__name__)


async def run_worker(settings: Settings) -> None:
    container = build(settings)
    queue = make_queue(container.database_url)
    try:
        async with queue.open_async():
            await queue.run_worker_async(
                concurrency=settings.worker_concurrency,
                install_signal_handlers=True,
            )
    finally:
        await container.aclose()
