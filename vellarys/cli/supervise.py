"""Keep the processes of ``vellarys up`` alive: restart a child that dies, with backoff.

A child may have a warm standby (``vellarys.cli.standby``): a process that has already imported
the application and waits. A restart hands over to it and starts the next standby, so the
child serves again as soon as it has connected instead of after the interpreter's start.

In embedded mode the supervisor also watches the embedded PostgreSQL and starts it again
when it dies; the API's pool and the worker reconnect by themselves.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger("vellarys.supervisor")

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0
# A child that ran this long was healthy: its next crash restarts it without delay.
HEALTHY_SECONDS = 60.0
TICK_SECONDS = 0.5


@dataclass
class Child:
    name: str
    argv: list[str]
    env: Mapping[str, str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = field(default=0)
    standby_argv: list[str] | None = None
    standby: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        spare = self._take_standby()
        self.process = spare or subprocess.Popen(self.argv, env=dict(self.env))  # noqa: S603
        self.started, self.restart_at = time.monotonic(), None
        if self.standby_argv is not None:
            self.standby = subprocess.Popen(  # noqa: S603 - our own
                self.standby_argv, env=dict(self.env), stdin=subprocess.PIPE
            )

    def _take_standby(self) -> subprocess.Popen[bytes] | None:
        """The waiting standby, told to run; None when there is none or it died."""
        spare, self.standby = self.standby, None
        if spare is None or spare.poll() is not None or spare.stdin is None:
            return None
        try:
            spare.stdin.write(b"run\n")
            spare.stdin.close()
        except OSError:
            return None
        return spare

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


@dataclass
class Database:
    """The embedded PostgreSQL, when ``up`` runs one: how to see it is alive and restart it."""

    running: Callable[[], bool]
    restart: Callable[[], None]
    backoff: float = BACKOFF_FIRST
    retry_at: float = 0.0


def supervise(children: list[Child], database: Database | None = None) -> None:
    """Run ``children`` until SIGINT/SIGTERM; restart any that exits, then stop them all."""

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        child.start()
    try:
        while True:
            if database is not None:
                watch_database(database)
            for child in children:
                _watch(child)
            time.sleep(TICK_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        _stop_all(children)


def _watch(child: Child) -> None:
    now = time.monotonic()
    if child.restart_at is not None:
        if now >= child.restart_at:
            log.warning("restarting %s (restart %d)", child.name, child.restarts)
            child.start()
        return
    status = child.exited()
    if status is None:
        return
    if now - child.started > HEALTHY_SECONDS:
        child.backoff = BACKOFF_FIRST
    child.restarts += 1
    child.restart_at = now + child.backoff
    log.warning("%s exited with status %s; restarting in %.0f s", child.name, status, child.backoff)
    child.backoff = min(BACKOFF_MAX, child.backoff * 2)


def watch_database(database: Database) -> None:
    """Start the embedded PostgreSQL again if it died (retried with backoff on failure)."""
    now = time.monotonic()
    if now < database.retry_at or database.running():
        return
    log.warning("the embedded PostgreSQL is down; starting it again")
    try:
        database.restart()
        database.backoff = BACKOFF_FIRST
        log.warning("the embedded PostgreSQL is running again")
    except Exception as exc:
        details = getattr(exc, "stderr", None) or getattr(exc, "stdout", None) or ""
        log.exception("could not start the embedded PostgreSQL; retrying. %s", details)
        database.retry_at = now + database.backoff
        database.backoff = min(BACKOFF_MAX, database.backoff * 2)


def _stop_all(children: list[Child]) -> None:
    processes = [p for c in children for p in (c.process, c.standby) if p is not None]
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
