"""The queue library's per-job log lines, kept to what an operator acts on.

procrastinate writes two INFO lines for every job ("Starting job", "ended with status:
Success"), with the job's whole description, and a formatted traceback for every retry,
including the ones our jobs ask for on purpose (a paced part, a provider's backoff). A
message makes three or four jobs, so these lines were a measurable part of the worker's CPU
per message. The job's duration is in the metrics and its outcome in our own lines
("inbound processed", "send failed"); retries and failures still get their line. With the
``procrastinate`` logger at DEBUG, everything is kept.
"""

from __future__ import annotations

import logging

from procrastinate.worker import WORKER_NAME

from vellarys.worker.retry import RetryAt

# procrastinate's ``action`` for the lines of a job that simply ran.
ROUTINE = frozenset({"start_job", "job_success"})
LOGGERS = ("procrastinate.worker",)


class JobLogFilter(logging.Filter):
    """Drop routine job lines; keep a retry's line without the traceback of a ``RetryAt``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if logging.getLogger("procrastinate").isEnabledFor(logging.DEBUG):
            return True
        action = getattr(record, "action", None)
        if action in ROUTINE:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, RetryAt):
            record.msg, record.args = f"{record.getMessage()} ({exc})", ()
            record.exc_info, record.exc_text = None, None
        return True


FILTER = JobLogFilter()


def install(worker_names: tuple[str, ...] = ()) -> None:
    """Filter the job lines of procrastinate's worker loggers (the module's, and the one each
    named worker logs its start lines with; procrastinate's default name included). Idempotent."""
    names = (*worker_names, WORKER_NAME)
    for name in (*LOGGERS, *(f"{LOGGERS[0]}.{w}" for w in names)):
        logger = logging.getLogger(name)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)
