"""The webhook's ack path: round trips, statements and CPU per webhook, lean path against full.

    .venv/bin/python -m bench.webhook_path                       # in process, both paths
    .venv/bin/python -m bench.webhook_path --webhooks 50
    .venv/bin/python -m bench.webhook_path --open-loop           # and the API in its own process
    .venv/bin/python -m bench.webhook_path --open-loop --rates 50,100,200 --seconds 10

In process: the real ASGI app (``vellarys.asgi.create_app``) answers signed Meta webhooks of
returning leads through httpx's ASGI transport, one at a time, on a migrated throwaway
database (no worker: the ack path is store + enqueue), once with the lean path
(``VELLARYS_WEBHOOK_FAST_PATH``, the default) and once with the full unit of work, in the
same run. It counts every round trip the app makes to PostgreSQL (asyncpg's query loggers, on
the ORM engine's connections and the ack pool's: pings, BEGIN and COMMIT included), the SQL
statements among them, and the CPU time of this process per webhook (app and client share
it: an upper bound of the API's share), then lists the round trips of one webhook.

Open loop: ``python -m vellarys api`` in its own process, and a generator that sends at a
fixed rate whatever the answers (each webhook leaves at its scheduled time; its latency is
counted from then, so a generator running late counts against the API). Per rate: the API
process's CPU per webhook (``/proc/<pid>/stat``), ack p50/p99, errors; and the highest rate
whose p99 is within 250 ms. Both paths again, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench.pipeline import (
    Children,
    databases,
    load_average,
    pct,
    postgres_server,
    process_cpu,
    query,
    seed,
    signed_requests,
    start_server,
)
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.config import Settings

GOAL_CPU_MS = 3.0
GOAL_P99_MS = 50.0  # at 100 msg/s
USABLE_P99_MS = 250.0
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", ";", "SAVEPOINT", "RELEASE")


@dataclass(eq=False)  # hashable: asyncpg keeps its loggers in a set
class RoundTrips:
    """The first words of every query the app sent: asyncpg's own log (pings, BEGIN, COMMIT,
    the ack pool's statements) and the ORM engine's statements."""

    seen: list[str] = field(default_factory=list)

    def __call__(self, logged: Any) -> None:
        self.add(str(logged.query))

    def add(self, query: str) -> None:
        self.seen.append(" ".join(query.split()[:7])[:90])

    def cursor(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.add(statement)  # the ORM's prepared statements, which asyncpg does not log

    @property
    def statements(self) -> int:
        return sum(1 for q in self.seen if not q.upper().startswith(_CONTROL))


def _listen(container: Any, trips: RoundTrips) -> None:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.driver_connection.add_query_logger(trips)

    event.listen(container.engine.sync_engine, "connect", on_connect)
    event.listen(container.engine.sync_engine, "before_cursor_execute", trips.cursor)
    container.ack_pool.query_loggers.append(trips)


@dataclass
class InProcess:
    label: str
    trips: float
    statements: float
    cpu_ms: float
    wall_ms: float
    one: list[str]


async def in_process(url: str, path: str, data_dir: Path, args: argparse.Namespace) -> InProcess:
    lean = args.lean
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key="bench-secret",
        webhook_fast_path=lean,
        agency_messages_per_minute=100_000,
        lead_messages_per_minute=100_000,
    )
    container = build(settings)
    trips = RoundTrips()
    _listen(container, trips)
    app = create_app(container)
    tag = "lean" if lean else "full"
    warm = signed_requests(f"{tag}.warm", args.leads, leads=args.leads, phone_base=30_000_000)
    requests = signed_requests(tag, args.webhooks, leads=args.leads, phone_base=30_000_000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for body, headers in warm:  # every lead exists: the measured ones are returning leads
            assert (await http.post(path, content=body, headers=headers)).status_code == 200
        before, cpu, wall = len(trips.seen), time.process_time(), time.perf_counter()
        statements = trips.statements
        for body, headers in requests:
            assert (await http.post(path, content=body, headers=headers)).status_code == 200
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        done, statements = len(trips.seen) - before, trips.statements - statements
        mark = len(trips.seen)
        body, headers = signed_requests(f"{tag}.last", 1, leads=1, phone_base=30_000_000)[0]
        await http.post(path, content=body, headers=headers)
        one = trips.seen[mark:]
    await container.aclose()
    n = args.webhooks
    label = "lean path" if lean else "full path (VELLARYS_WEBHOOK_FAST_PATH=false)"
    return InProcess(label, done / n, statements / n, cpu / n * 1000, wall / n * 1000, one)


def render_in_process(runs: list[InProcess], args: argparse.Namespace) -> str:
    lines = [
        f"webhook ack path, in process: {args.webhooks} webhooks of returning leads "
        f"({args.leads} leads), one at a time",
        f"{'':48}{'round trips':>12}{'statements':>12}{'CPU ms':>9}{'wall ms':>9}",
    ]
    for run in runs:
        lines.append(
            f"  {run.label:<46}{run.trips:>12.1f}{run.statements:>12.1f}"
            f"{run.cpu_ms:>9.2f}{run.wall_ms:>9.2f}"
        )
    for run in runs:
        lines.append(f"  round trips of one webhook, {run.label} ({len(run.one)}):")
        lines.extend(f"    {q}" for q in run.one)
    return "\n".join(lines)


# --- open loop -----------------------------------------------------------------------------


@dataclass
class Step:
    rate: float
    sent: int
    latencies: list[float]
    errors: int
    api_cpu: float
    late: float  # the generator's worst lag behind schedule, s

    def p(self, q: float) -> float | None:
        found = pct(self.latencies, q)
        return None if found is None else found * 1000

    @property
    def cpu_ms(self) -> float:
        return self.api_cpu / max(1, len(self.latencies)) * 1000


async def _open_loop(base: str, path: str, requests: list[Any], rate: float, pid: int) -> Step:
    """Each webhook is due at ``i / rate`` s; ``CONNECTIONS`` keep-alive connections take
    them as they fall due (a busy API makes them wait: counted, from the due time)."""
    due: asyncio.Queue[tuple[float, Any] | None] = asyncio.Queue()
    step = Step(rate, len(requests), [], 0, 0.0, 0.0)
    host, port = base.removeprefix("http://").split(":")
    senders = [
        asyncio.create_task(_sender(host, int(port), path, due, step)) for _ in range(CONNECTIONS)
    ]
    cpu = process_cpu(pid)
    started = time.perf_counter()
    for i, request in enumerate(requests):
        at = started + i / rate
        wait = at - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        step.late = max(step.late, time.perf_counter() - at)
        due.put_nowait((at, request))
    for _ in senders:
        due.put_nowait(None)
    await asyncio.gather(*senders)
    step.api_cpu = process_cpu(pid) - cpu
    return step


CONNECTIONS = 64


async def _sender(
    host: str, port: int, path: str, due: asyncio.Queue[tuple[float, Any] | None], step: Step
) -> None:
    """One keep-alive HTTP/1.1 connection (a plain client: httpx's own pool spends more CPU
    than the API at these rates and would measure the generator)."""
    connection = await asyncio.open_connection(host, port)
    while (item := await due.get()) is not None:
        at, request = item
        try:
            status = await asyncio.wait_for(_post(connection, host, path, request), 30)
        except (OSError, EOFError, ValueError, IndexError, TimeoutError):
            connection[1].close()
            step.errors += 1
            connection = await asyncio.open_connection(host, port)
            continue
        if status == 200:
            step.latencies.append(time.perf_counter() - at)
        else:
            step.errors += 1
    connection[1].close()


async def _post(connection: Any, host: str, path: str, request: Any) -> int:
    reader, writer = connection
    body, headers = request
    lines = [f"POST {path} HTTP/1.1", f"host: {host}", f"content-length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def open_loop(
    url: str, path: str, workdir: Path, args: argparse.Namespace, lean: bool
) -> list[Step]:
    children = Children(workdir)
    tag = "lean" if lean else "full"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")} | {
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "VELLARYS_DATABASE_URL": url,
        "VELLARYS_DATA_DIR": str(workdir / f"data-{tag}"),
        "VELLARYS_SECRET_KEY": "bench-secret",
        "VELLARYS_WEBHOOK_FAST_PATH": "true" if lean else "false",
        # The ack path, not the over-the-limit notice (a unit of work of its own), is measured.
        "VELLARYS_AGENCY_MESSAGES_PER_MINUTE": "100000",
        "VELLARYS_LEAD_MESSAGES_PER_MINUTE": "100000",
        "VELLARYS_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "vellarys", "api"]
    try:
        base, child = start_server(children, f"api-{tag}", argv, env)
        steps = []
        warm = signed_requests(f"{tag}.warm", args.leads, leads=args.leads, phone_base=50_000_000)
        asyncio.run(_open_loop(base, path, warm, 50, child.process.pid))
        for rate in args.rates:
            count = max(1, int(rate * args.seconds))
            requests = signed_requests(
                f"{tag}.{rate:g}", count, leads=args.leads, phone_base=50_000_000
            )
            steps.append(asyncio.run(_open_loop(base, path, requests, rate, child.process.pid)))
        return steps
    finally:
        children.stop_all()


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def render_open_loop(runs: dict[str, list[Step]], args: argparse.Namespace) -> str:
    lines = [
        f"webhook ack path, open loop: the API in its own process, {args.seconds:g} s per rate, "
        f"{args.leads} returning leads",
        f"  {'path':<6}{'rate/s':>8}{'acked':>8}{'errors':>8}{'API CPU ms':>12}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'gen late ms':>13}",
    ]
    for tag, steps in runs.items():
        for s in steps:
            lines.append(
                f"  {tag:<6}{s.rate:>8g}{len(s.latencies):>8}{s.errors:>8}{s.cpu_ms:>12.2f}"
                f"{_fmt(s.p(50)):>9}{_fmt(s.p(99)):>9}{_fmt(s.p(100)):>9}{s.late * 1000:>13.1f}"
            )
        usable = [s.rate for s in steps if not s.errors and (s.p(99) or 1e9) <= USABLE_P99_MS]
        best = f"{max(usable):g} msg/s" if usable else "none of the rates"
        lines.append(f"  {tag}: highest rate with p99 <= {USABLE_P99_MS:g} ms: {best}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--webhooks", type=int, default=300)
    parser.add_argument("--leads", type=int, default=100)
    parser.add_argument("--open-loop", action="store_true")
    parser.add_argument(
        "--rates", type=lambda v: [float(r) for r in v.split(",")], default=[50.0, 100.0, 200.0]
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=("lean", "full"), help="the open loop on one path only")
    args = parser.parse_args(argv)
    paths = [
        p for p in (True, False) if args.only is None or args.only == ("lean" if p else "full")
    ]
    before = load_average()
    runs: list[InProcess] = []
    loops: dict[str, list[Step]] = {}
    jobs = []
    with (
        tempfile.TemporaryDirectory(prefix="vellarys-hook-") as tmp,
        postgres_server() as server,
        databases(server, ("lean", "full")) as urls,
    ):
        for lean in (True, False):
            tag = "lean" if lean else "full"
            url = urls[tag]
            path = asyncio.run(seed(url, Path(tmp) / f"seed-{tag}"))
            args.lean = lean
            runs.append(asyncio.run(in_process(url, path, Path(tmp) / f"data-{tag}", args)))
            if args.open_loop and lean in paths:
                loops[tag] = open_loop(url, path, Path(tmp), args, lean)
            found = query(url, "SELECT count(*) FROM procrastinate_jobs")[0][0]
            jobs.append(f"{tag} {found}")
    print(render_in_process(runs, args))
    if args.open_loop:
        print(render_open_loop(loops, args))
    print(f"  jobs deferred: {', '.join(jobs)}")
    print(f"  load average before: {before}, after: {load_average()}")


if __name__ == "__main__":
    main()
