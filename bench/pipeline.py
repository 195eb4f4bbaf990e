"""Pipeline benchmark: webhook acknowledgement, ingest throughput and worker latency.

    .venv/bin/python -m bench.pipeline                  # about 2 minutes on 2 cores
    .venv/bin/python -m bench.pipeline --messages 500   # quicker
    .venv/bin/python -m bench.pipeline --production     # production defaults (bench/production.py)

Everything runs for real over loopback HTTP, each server in its own process:

1. Burst. ``--messages`` signed Meta webhooks (unique wamids, ``--leads`` distinct phones) from
   ``--concurrency`` senders, against the real API (``python -m vellarys api``: store + enqueue,
   no worker running) and against the baseline (``bench/baseline.py``: the old design that
   composes and sends the reply inside the request); no new webhook after ``--max-seconds``.
   Ack latency p50/p95/p99/max, throughput (acknowledged messages per second over the
   burst) and the server process's CPU time per message.
2. Steady stream. ``--rate`` messages/s for ``--seconds`` s (open loop, one new lead each)
   against the API with a worker (``python -m vellarys worker``, debounce 0, concurrency 4),
   and against the baseline. Ack latency, and from the database: enqueue-to-start of every
   ``handle_inbound`` and ``send_outbound`` job (procrastinate_events ``deferred`` ->
   ``started``) and inbound stored -> reply sent (``messages.created_at`` -> ``sent_at``).

Each phase gets its own database, cloned from one migrated template, on ``TEST_DATABASE_URL``'s
server (scratch databases, dropped at the end) or on an embedded pgserver in a temporary
folder (deleted at the end). The fake Graph API runs in a process of its own, too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kit import APP_SECRET, PHONE_NUMBER_ID, meta_text  # noqa: E402
from vellarys.bootstrap import build  # noqa: E402
from vellarys.config import Settings  # noqa: E402
from vellarys.db import migrate  # noqa: E402
from vellarys.db.models import Property, Tenant  # noqa: E402
from vellarys.db.uow import unit_of_work  # noqa: E402
from vellarys.db.url import libpq_url  # noqa: E402
from vellarys.services.channel import add_channel, webhook_path  # noqa: E402

ACCESS_TOKEN = "bench-token"
GOAL_ACK_P99_MS = 50.0
GOAL_THROUGHPUT = 100.0
TEXTS = (
    "Oi, procuro um apartamento de 2 quartos em Pinheiros até 700 mil",
    "Quero alugar uma casa com 3 quartos, até R$ 3.500/mês",
    "Vocês aceitam FGTS na entrada?",
    "Olá, bom dia! Vi um anúncio de vocês",
)


# --- database ------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """The admin libpq URL of ``TEST_DATABASE_URL``'s server, or of a throwaway pgserver."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield libpq_url(external)
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="vellarys-bench-pg-"))
    server: Any = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextlib.contextmanager
def databases(server_url: str, names: Sequence[str]) -> Iterator[dict[str, str]]:
    """A migrated template and one clone of it per name; all dropped on the way out.

    ``BENCH_TEMPLATE_DATABASE`` names a database on that server already migrated to head to
    clone instead (the smoke tests pass the suite's template): no migration, and it is kept."""
    prefix = f"vellarys_bench_{uuid.uuid4().hex[:8]}"
    template = os.environ.get("BENCH_TEMPLATE_DATABASE") or f"{prefix}_template"
    created: list[str] = []
    try:
        if not os.environ.get("BENCH_TEMPLATE_DATABASE"):
            created.append(template)
            migrate.upgrade(_create(server_url, template))
        urls = {}
        for name in names:
            created.append(f"{prefix}_{name}")
            urls[name] = _create(server_url, f"{prefix}_{name}", template=template)
        yield urls
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            for name in reversed(created):
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                admin.execute(drop.format(sql.Identifier(name)))


def _create(server_url: str, name: str, *, template: str | None = None) -> str:
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(statement)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def query(url: str, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return conn.execute(statement, params).fetchall()


async def seed(url: str, data_dir: Path) -> str:
    """A tenant with a Meta channel and one listing (an agency with none hands every lead to
    a broker, and the benches measure the assistant); returns the channel's webhook path."""
    settings = Settings(database_url=url, data_dir=data_dir, secret_key="bench-secret")
    container = build(settings)
    try:
        async with unit_of_work(container.sessions) as session:
            tenant = Tenant(
                id=uuid.uuid4(),
                slug=f"bench-{uuid.uuid4().hex[:8]}",
                name="Imobiliária Bench",
                settings={"persona_name": "Bia"},
            )
            session.add(tenant)
            await session.flush()
            session.add(
                Property(
                    tenant_id=tenant.id,
                    code="AP-1",
                    title="Apartamento 2 quartos em Pinheiros",
                    property_type="apartment",
                    transaction="rent",
                    price=Decimal(4500),
                    bedrooms=2,
                    neighborhood="Pinheiros",
                    city="São Paulo",
                )
            )
            channel = await add_channel(
                session,
                tenant_id=tenant.id,
                provider="meta",
                identity=PHONE_NUMBER_ID,
                credentials={"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET},
                secret_key=container.settings.resolved_secret_key,
                allow_private_urls=True,
            )
        return webhook_path(channel)
    finally:
        await container.aclose()


# --- processes -----------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Children:
    """Every process the bench starts, stopped by pid (newest first) on the way out."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: list[Child] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], **kw: Any) -> Child:
        log = (self.workdir / f"{name}.log").open("wb")
        cwd = kw.pop("cwd", ROOT)
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stderr=log, stdout=kw.pop("stdout", log), **kw
        )
        child = Child(name, process, log)
        self.running.append(child)
        return child

    def stop(self, child: Child) -> None:
        child.stop()
        self.running.remove(child)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        while self.running:
            self.stop(self.running[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(url: str, workdir: Path, graph_url: str, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "VELLARYS_DATABASE_URL": url,
        "VELLARYS_DATA_DIR": str(workdir / f"data-{name}"),
        "VELLARYS_SECRET_KEY": "bench-secret",
        "VELLARYS_META_GRAPH_URL": graph_url,
        "VELLARYS_DEBOUNCE_SECONDS": "0",
        # One message per lead here; pacing only spaces the parts of one reply.
        "VELLARYS_SEND_PACE_SECONDS": "0",
        "VELLARYS_WORKER_CONCURRENCY": "4",
    }


def start_graph(children: Children) -> tuple[Child, str]:
    """The fake Graph API, in its own process so its threads do not slow the load generator."""
    argv = [sys.executable, "-m", "bench.pipeline", "--serve-graph"]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    child = children.start("graph", argv, env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.process.stdout is not None
    url = child.process.stdout.readline().decode().strip()
    if not url.startswith("http"):
        raise RuntimeError(f"fake Graph API did not start (see {children.workdir}/graph.log)")
    return child, url


def serve_graph() -> None:
    from bench.kit import FakeGraph

    with FakeGraph() as graph:
        print(graph.url, flush=True)
        sys.stdin.read()  # until the bench closes our stdin (or stops us)


# A process's start is not measured; on a shared 2-core machine it took over a minute.
START_SECONDS = 240.0


def start_server(
    children: Children, name: str, argv: list[str], env: dict[str, str]
) -> tuple[str, Child]:
    port = free_port()
    child = children.start(name, [*argv, "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{children.tail(name)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return base, child
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer /health within {START_SECONDS:g} s")


def api_argv() -> list[str]:
    return [sys.executable, "-m", "vellarys", "api"]


def baseline_argv() -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.baseline:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def wait_for_worker(
    url: str, child: Child, timeout: float = START_SECONDS, *, registered: int = 1
) -> None:
    """Until ``registered`` workers (this one and those started before it) are registered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{child.log.name}")
        if query(url, "SELECT count(*) FROM procrastinate_workers")[0][0] >= registered:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not register within {timeout:g} s")


PENDING_JOBS = (
    "SELECT count(*) FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') AND queue_name IN ('pipeline', 'outbound')"
)


def wait_drained(url: str, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not query(url, PENDING_JOBS)[0][0]:
            return True
        time.sleep(0.2)
    return False


# --- load ----------------------------------------------------------------------------------


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged requests
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    server_cpu: float = 0.0  # seconds of CPU the server process used during the load

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_per_message(self) -> str:
        done = len(self.latencies)
        return f"{self.server_cpu / done * 1000:.1f}" if done and self.server_cpu else "—"


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Request = tuple[bytes, dict[str, str]]


def signed_requests(prefix: str, count: int, *, leads: int, phone_base: int) -> list[Request]:
    """``count`` signed Meta webhooks, unique wamids, round-robin over ``leads`` phones."""
    requests = []
    for i in range(count):
        lead = i % leads
        payload = meta_text(
            TEXTS[i % len(TEXTS)],
            wamid=f"wamid.{prefix}.{i:06d}",
            phone=f"55119{phone_base + lead:08d}",
            name=f"Lead {lead}",
        )
        body = json.dumps(payload).encode()
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}
        requests.append((body, headers))
    return requests


def client(base: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10
    )
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=120)


async def _post(http: httpx.AsyncClient, path: str, request: Request, load: Load) -> None:
    started = time.perf_counter()
    try:
        response = await http.post(path, content=request[0], headers=request[1])
    except httpx.HTTPError as exc:
        load.errors[type(exc).__name__] += 1
        return
    if response.status_code == 200:
        load.latencies.append(time.perf_counter() - started)
    else:
        load.errors[f"HTTP {response.status_code}"] += 1


async def burst(
    base: str,
    path: str,
    requests: list[Request],
    *,
    concurrency: int,
    warmup: list[Request],
    max_seconds: float,
    server_pid: int,
) -> Load:
    """Closed loop: ``concurrency`` senders, each posting its next webhook once acknowledged;
    no new webhook after ``max_seconds`` (the ones in flight are still counted)."""
    async with client(base, concurrency) as http:
        await _closed_loop(http, path, warmup, concurrency, Load(), time.perf_counter() + 600)
        load = Load()
        cpu = process_cpu(server_pid)
        started = time.perf_counter()
        await _closed_loop(http, path, requests, concurrency, load, started + max_seconds)
        load.elapsed = time.perf_counter() - started
        load.server_cpu = process_cpu(server_pid) - cpu
    return load


async def _closed_loop(
    http: httpx.AsyncClient,
    path: str,
    requests: list[Request],
    concurrency: int,
    load: Load,
    deadline: float,
) -> None:
    pending = iter(requests)

    async def sender() -> None:
        for request in pending:  # shared: each sender takes the next one
            if time.perf_counter() > deadline:
                return
            await _post(http, path, request, load)

    await asyncio.gather(*(sender() for _ in range(concurrency)))


async def post_all(base: str, path: str, requests: list[Request]) -> Load:
    load = Load()
    async with client(base, len(requests)) as http:
        await asyncio.gather(*(_post(http, path, r, load) for r in requests))
    return load


async def stream(base: str, path: str, requests: list[Request], *, rate: float) -> Load:
    """Open loop: one webhook every 1/rate s, whether or not the earlier ones were answered."""
    async with client(base, 64) as http:
        load = Load()
        tasks = []
        started = time.perf_counter()
        for i, request in enumerate(requests):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_post(http, path, request, load)))
        await asyncio.gather(*tasks)
        load.elapsed = time.perf_counter() - started
    return load


# --- figures from the database -------------------------------------------------------------

JOB_DELAYS = """
SELECT extract(epoch FROM s.at - d.at) * 1000
FROM procrastinate_jobs j
JOIN LATERAL (SELECT min(at) AS at FROM procrastinate_events
              WHERE job_id = j.id AND type = 'deferred') d ON true
JOIN LATERAL (SELECT min(at) AS at FROM procrastinate_events
              WHERE job_id = j.id AND type = 'started') s ON true
WHERE j.task_name = %(task)s AND j.args->>'message_id' IN ({ids})
"""
INBOUND_IDS = "SELECT id::text FROM messages WHERE external_id LIKE %(prefix)s"
REPLY_IDS = (
    "SELECT o.id::text FROM messages o JOIN messages m ON o.media->>'in_reply_to' = m.id::text "
    "WHERE m.external_id LIKE %(prefix)s AND o.direction = 'outbound'"
)
REPLY_DELAYS = """
SELECT extract(epoch FROM min(o.sent_at) - m.created_at) * 1000
FROM messages m
JOIN messages o ON o.media->>'in_reply_to' = m.id::text AND o.direction = 'outbound'
WHERE m.external_id LIKE %(prefix)s AND o.sent_at IS NOT NULL
GROUP BY m.id, m.created_at
"""


def job_delays(url: str, task: str, ids_query: str, prefix: str) -> list[float]:
    rows = query(url, JOB_DELAYS.format(ids=ids_query), task=task, prefix=prefix)
    return [float(r[0]) for r in rows if r[0] is not None]


def reply_delays(url: str, prefix: str) -> list[float]:
    return [float(r[0]) for r in query(url, REPLY_DELAYS, prefix=prefix)]


def stored(url: str, prefix: str) -> tuple[int, int]:
    """(inbound messages stored, handle_inbound jobs enqueued for them)."""
    rows = query(
        url,
        "SELECT count(DISTINCT m.id), count(j.id) FROM messages m LEFT JOIN procrastinate_jobs j "
        "ON j.task_name = 'vellarys:handle_inbound' AND j.args->>'message_id' = m.id::text "
        "WHERE m.external_id LIKE %(prefix)s",
        prefix=prefix,
    )
    return int(rows[0][0]), int(rows[0][1])


# --- report --------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100), None when there is nothing to rank."""
    if not values:
        return None
    ranked = sorted(values)
    rank = max(1, min(len(ranked), int(-(-q * len(ranked) // 100))))
    return ranked[rank - 1]


def ms(values: Sequence[float], *qs: float, scale: float = 1000.0) -> str:
    figures = [pct([v * scale for v in values], q) for q in qs]
    return " / ".join("—" if f is None else f"{f:.1f}" for f in figures)


def row(label: str, ours: str, theirs: str) -> str:
    return f"{label:<44}{ours:>22}{theirs:>26}"


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def machine_facts(url: str, load_before: str) -> str:
    version = query(url, "SHOW server_version")[0][0]
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")),
        platform.processor(),
    )
    loop = "uvloop" if _installed("uvloop") else "asyncio"
    http = "httptools" if _installed("httptools") else "h11"
    return (
        f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"PostgreSQL {version}, uvicorn {_version('uvicorn')} ({loop}, {http}), 1 API process\n"
        f"load average (1/5/15 min) before: {load_before}, after: {load_average()} "
        "(other processes on the machine share its cores)"
    )


def _cpuinfo() -> list[str]:
    with contextlib.suppress(OSError):
        return Path("/proc/cpuinfo").read_text().splitlines()
    return []


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


@dataclass
class Results:
    ours_burst: Load
    base_burst: Load
    ours_stream: Load
    base_stream: Load
    checks: list[str]
    figures: dict[str, tuple[str, str]]


def report(args: argparse.Namespace, res: Results, facts: str) -> str:
    ob, bb, os_, bs = res.ours_burst, res.base_burst, res.ours_stream, res.base_stream
    lines = [
        facts,
        "",
        row("", "Vellarys (enqueue)", "baseline (in-request)"),
        f"burst: {args.messages} messages (at most {args.max_seconds:g} s), "
        f"{args.concurrency} concurrent senders, {args.leads} leads",
        row("  messages acknowledged", f"{len(ob.latencies)}", f"{len(bb.latencies)}"),
        row("  ack p50 (ms)", ms(ob.latencies, 50), ms(bb.latencies, 50)),
        row("  ack p95 (ms)", ms(ob.latencies, 95), ms(bb.latencies, 95)),
        row("  ack p99 (ms)", ms(ob.latencies, 99), ms(bb.latencies, 99)),
        row("  ack max (ms)", ms(ob.latencies, 100), ms(bb.latencies, 100)),
        row("  throughput (msg/s)", f"{ob.throughput:.0f}", f"{bb.throughput:.0f}"),
        row("  server CPU per message (ms)", ob.cpu_per_message, bb.cpu_per_message),
        row("  errors", _errors(ob), _errors(bb)),
        f"steady: {args.rate:g} msg/s for {args.seconds:g} s, one new lead each "
        "(Vellarys: worker ×4 running)",
        row("  ack p50 / p99 (ms)", ms(os_.latencies, 50, 99), ms(bs.latencies, 50, 99)),
        row("  errors", _errors(os_), _errors(bs)),
        *(row(f"  {label}", ours, theirs) for label, (ours, theirs) in res.figures.items()),
        "",
        _goal(
            f"goal: ack p99 < {GOAL_ACK_P99_MS:g} ms (burst)",
            pct(ob.latencies, 99),
            lambda v: v * 1000 < GOAL_ACK_P99_MS,
            "{:.1f} ms",
            1000,
        ),
        _goal(
            f"goal: ≥ {GOAL_THROUGHPUT:g} msg/s ingested (burst)",
            ob.throughput,
            lambda v: v >= GOAL_THROUGHPUT,
            "{:.0f} msg/s",
            1,
        ),
        *res.checks,
    ]
    return "\n".join(lines)


def _errors(load: Load) -> str:
    return ", ".join(f"{k} ×{v}" for k, v in load.errors.items()) or "0"


def _goal(label: str, value: float | None, ok: Any, fmt: str, scale: float) -> str:
    if value is None:
        return f"{label:<48} MISS (no data)"
    verdict = "PASS" if ok(value) else "MISS"
    return f"{label:<48} {verdict}  ({fmt.format(value * scale)})"


# --- phases --------------------------------------------------------------------------------


@dataclass
class Bench:
    args: argparse.Namespace
    children: Children
    graph_url: str
    workdir: Path

    def env(self, url: str, name: str) -> dict[str, str]:
        return child_env(url, self.workdir, self.graph_url, name)

    def run_burst(self, url: str, name: str, argv: list[str]) -> Load:
        path = asyncio.run(seed(url, self.workdir / f"seed-{name}"))
        base, server = start_server(self.children, name, argv, self.env(url, name))
        args = self.args
        requests = signed_requests(f"{name}.burst", args.messages, leads=args.leads, phone_base=0)
        warmup = signed_requests(
            f"{name}.warm", args.concurrency, leads=args.concurrency, phone_base=90_000_000
        )
        try:
            load = asyncio.run(
                burst(
                    base,
                    path,
                    requests,
                    concurrency=args.concurrency,
                    warmup=warmup,
                    max_seconds=args.max_seconds,
                    server_pid=server.process.pid,
                )
            )
        finally:
            self.children.stop(server)
        self.show_log_on_errors(load, name)
        return load

    def show_log_on_errors(self, load: Load, name: str) -> None:
        if load.errors:
            print(f"--- {name}: {dict(load.errors)}; end of its log:", file=sys.stderr)
            print(self.children.tail(name, 15), file=sys.stderr)

    def run_stream(self, url: str, name: str, argv: list[str], *, worker: bool) -> Load:
        path = asyncio.run(seed(url, self.workdir / f"seed-{name}"))
        base, server = start_server(self.children, name, argv, self.env(url, name))
        started = [server]
        try:
            if worker:
                argv_w = [sys.executable, "-m", "vellarys", "worker"]
                started.append(self.children.start(f"{name}-worker", argv_w, self.env(url, name)))
                wait_for_worker(url, started[-1])
            return self._stream(url, base, path, name, drain=worker)
        finally:
            for child in reversed(started):
                self.children.stop(child)

    def _stream(self, url: str, base: str, path: str, name: str, *, drain: bool) -> Load:
        count = int(self.args.rate * self.args.seconds)
        requests = signed_requests(f"{name}.stream", count, leads=count, phone_base=10_000_000)
        # Warm-up (not measured): connections, code paths, the worker's first jobs.
        asyncio.run(
            post_all(base, path, signed_requests(f"{name}.warm", 8, leads=8, phone_base=90_000_000))
        )
        if drain:
            wait_drained(url)
        load = asyncio.run(stream(base, path, requests, rate=self.args.rate))
        if drain and not wait_drained(url):
            print("warning: jobs still pending after 120 s", file=sys.stderr)
        self.show_log_on_errors(load, name)
        return load


def worker_figures(ours: str, theirs: str) -> dict[str, tuple[str, str]]:
    prefix_o, prefix_b = "wamid.api-stream.stream.%", "wamid.baseline-stream.stream.%"
    inbound = job_delays(ours, "vellarys:handle_inbound", INBOUND_IDS, prefix_o)
    sends = job_delays(ours, "vellarys:send_outbound", REPLY_IDS, prefix_o)
    e2e_o, e2e_b = reply_delays(ours, prefix_o), reply_delays(theirs, prefix_b)
    none = "n/a (no queue)"
    return {
        "handle_inbound enqueue→start p50/p95/max": (ms(inbound, 50, 95, 100, scale=1), none),
        "send_outbound enqueue→start p50/p95/max": (ms(sends, 50, 95, 100, scale=1), none),
        "stored→reply sent p50/p95/max (ms)": (
            ms(e2e_o, 50, 95, 100, scale=1),
            ms(e2e_b, 50, 95, 100, scale=1),
        ),
        "messages answered": (f"{len(e2e_o)}", f"{len(e2e_b)}"),
    }


def run(args: argparse.Namespace, workdir: Path) -> str:
    results, facts = measure(args, workdir)
    return report(args, results, facts)


def measure(args: argparse.Namespace, workdir: Path) -> tuple[Results, str]:
    """Run the four phases; the results and the machine facts (for ``report`` or RESULTS.md)."""
    load_before = load_average()
    phases = ("api_burst", "baseline_burst", "api_stream", "baseline_stream")
    with postgres_server() as server, databases(server, phases) as urls:
        children = Children(workdir)
        try:
            graph_url = start_graph(children)[1]
            bench = Bench(args, children, graph_url, workdir)
            print("burst against the API ...", file=sys.stderr)
            ours_burst = bench.run_burst(urls["api_burst"], "api", api_argv())
            print("burst against the baseline ...", file=sys.stderr)
            base_burst = bench.run_burst(urls["baseline_burst"], "baseline", baseline_argv())
            print("steady stream against the API + worker ...", file=sys.stderr)
            ours_stream = bench.run_stream(
                urls["api_stream"], "api-stream", api_argv(), worker=True
            )
            print("steady stream against the baseline ...", file=sys.stderr)
            base_stream = bench.run_stream(
                urls["baseline_stream"], "baseline-stream", baseline_argv(), worker=False
            )
        finally:
            children.stop_all()
        checks = _checks(urls, len(ours_burst.latencies), len(base_burst.latencies))
        figures = worker_figures(urls["api_stream"], urls["baseline_stream"])
        results = Results(ours_burst, base_burst, ours_stream, base_stream, checks, figures)
        return results, machine_facts(urls["api_burst"], load_before)


def _checks(urls: dict[str, str], acked: int, acked_baseline: int) -> list[str]:
    messages, jobs = stored(urls["api_burst"], "wamid.api.burst.%")
    replied = len(reply_delays(urls["baseline_burst"], "wamid.baseline.burst.%"))
    return [
        f"check: API burst: {acked} acknowledged, {messages} stored, {jobs} handle_inbound jobs",
        f"check: baseline burst: {acked_baseline} acknowledged, {replied} answered before the ack "
        "(a lead's earlier message may be folded into its later one)",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=2000, help="webhooks in each burst")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent senders")
    parser.add_argument("--leads", type=int, default=500, help="distinct phones in a burst")
    parser.add_argument("--max-seconds", type=float, default=45, help="cap on each burst")
    parser.add_argument("--rate", type=float, default=5, help="steady stream, messages/s")
    parser.add_argument("--seconds", type=float, default=15, help="steady stream duration")
    parser.add_argument("--serve-graph", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--production",
        action="store_true",
        help="run bench/production.py instead: production defaults, flood, outage",
    )
    args, rest = parser.parse_known_args(argv)
    if args.production:
        from bench import production

        production.main(rest)
        return
    if args.serve_graph:
        serve_graph()
        return
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vellarys-bench-") as tmp:
        print(run(args, Path(tmp)))
    print(f"(bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
