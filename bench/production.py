"""The pipeline at production defaults: first-reply latency, fairness under a flood, recovery.

    .venv/bin/python -m bench.pipeline --production            # about 4 minutes on 2 cores
    .venv/bin/python -m bench.production --seconds 10         # quicker

Production defaults throughout (debounce 3 s, pacing 1.5 s, multi-part replies from the demo
agency's listings, worker concurrency as shipped); the API and the worker run as their own
processes (``python -m vellarys api`` / ``worker``) against a throwaway embedded PostgreSQL.

1. Stream: ``--rate`` new leads per second for ``--seconds`` s; first reply part sent minus
   message stored, p50/p95 (goal p95 <= 8 s at 5 leads/s).
2. Flood: agency A sends ``--flood-rate`` messages/s (new leads) while agency B sends one new
   lead per second; each agency's first-reply latency.
3. Outage: the stream runs while PostgreSQL is stopped for ``--outage`` s (webhooks retried on
   503, as providers do); seconds from PostgreSQL's return until the API answers /health 200,
   until the worker sends again, and until every stored message is answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.kit import (
    APP_SECRET,
    OTHER_NUMBER_ID,
    PHONE_NUMBER_ID,
    FakeGraph,
    kept_or_temporary,
    meta_text,
    signed,
)
from bench.pipeline import (
    Children,
    databases,
    free_port,
    load_average,
    pct,
    postgres_server,
    query,
)
from bench.stages import cpu_seconds, stage_line, stage_times

ROOT = Path(__file__).resolve().parent.parent
TEXTS = (
    "Oi, procuro um apartamento de 2 quartos em Pinheiros até 900 mil",
    "Quero alugar um apartamento em Moema até 6 mil",
    "Olá! Tem casa à venda na Vila Mariana?",
    "Boa tarde, procuro studio para alugar perto do metrô",
)
GOAL_P95_SECONDS = 8.0
# --demo: agency A is the demo agency, whose listings give multi-part replies.
WITH_DEMO = False
# --index: the demo's listings and documents are embedded by the worker while the stream runs
# (a new agency's first indexing), so leads' query embeddings compete with indexing batches.
KEEP_INDEXING = False
# --env KEY=VALUE: settings for the API and the worker beyond the bench's own (an A/B run).
EXTRA_ENV: dict[str, str] = {}
FIRST_REPLY = """
SELECT extract(epoch FROM min(o.sent_at) - m.created_at)
FROM messages m
JOIN messages o ON o.media->>'in_reply_to' = m.id::text AND o.direction = 'outbound'
WHERE m.external_id LIKE %(prefix)s AND o.sent_at IS NOT NULL
GROUP BY m.id, m.created_at
"""


async def seed_agencies(url: str, data_dir: Path) -> tuple[str, str]:
    """The demo agency (listings, so replies come in several parts) and a second agency; each
    with a Meta channel. Returns their webhook paths. The demo's embedding jobs are dropped:
    embedding its listings and documents takes minutes on a loaded 2-core machine, and the
    brain still finds listings by their structured filters."""
    from sqlalchemy import text

    from vellarys.bootstrap import build
    from vellarys.config import Settings
    from vellarys.db.models import Tenant
    from vellarys.db.uow import unit_of_work
    from vellarys.services.channel import add_channel, webhook_path
    from vellarys.services.demo import seed_demo

    container = build(Settings(database_url=url, data_dir=data_dir, secret_key="bench-secret"))
    paths = []
    try:
        async with unit_of_work(container.sessions) as session:
            demo = (await seed_demo(session)).tenant if WITH_DEMO else None
            if demo is None:
                demo = Tenant(id=uuid.uuid4(), slug="bench", name="Imobiliária Bench", settings={})
                session.add(demo)
            other = Tenant(id=uuid.uuid4(), slug="outra", name="Outra Imobiliária", settings={})
            session.add(other)
            await session.flush()
            for tenant, number in ((demo, PHONE_NUMBER_ID), (other, OTHER_NUMBER_ID)):
                channel = await add_channel(
                    session,
                    tenant_id=tenant.id,
                    provider="meta",
                    identity=number,
                    credentials={"access_token": "bench", "app_secret": APP_SECRET},
                    secret_key=container.settings.resolved_secret_key,
                    allow_private_urls=True,
                )
                paths.append(webhook_path(channel))
            if not KEEP_INDEXING:
                await session.execute(text("DELETE FROM procrastinate_jobs"))
    finally:
        await container.aclose()
    return paths[0], paths[1]


@dataclass
class Deployment:
    url: str
    base: str
    children: Children
    api: Any
    worker: Any
    paths: tuple[str, str]
    codes: dict[int, int] = field(default_factory=dict)


def start(
    children: Children,
    url: str,
    workdir: Path,
    graph_url: str,
    name: str,
    *,
    source: Path = ROOT,
) -> Deployment:
    """Seed ``url`` and run an API and a worker on it from the code at ``source`` (this
    checkout, or the baseline's exported tree in a comparison)."""
    import os

    paths = asyncio.run(seed_agencies(url, workdir / f"seed-{name}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    env |= {
        "PYTHONPATH": str(source),
        "VELLARYS_DATABASE_URL": url,
        "VELLARYS_DATA_DIR": str(workdir / f"data-{name}"),
        "VELLARYS_SECRET_KEY": "bench-secret",
        "VELLARYS_META_GRAPH_URL": graph_url,
    } | EXTRA_ENV
    port = free_port()
    api = children.start(
        f"{name}-api",
        [sys.executable, "-m", "vellarys", "api", "--port", str(port)],
        env,
        cwd=source,
    )
    worker = children.start(
        f"{name}-worker", [sys.executable, "-m", "vellarys", "worker"], env, cwd=source
    )
    base = f"http://127.0.0.1:{port}"
    _until(lambda: _healthy(base), 90, "the API did not start")
    return Deployment(url, base, children, api, worker, paths)


def _healthy(base: str, probes: list[str] | None = None) -> bool:
    """Whether /health answers 200 within 2 s; each answer (or failure) is noted in ``probes``
    as ``what@seconds taken``, so a slow recovery shows what the API said meanwhile."""
    started, answer = time.monotonic(), "timeout"
    try:
        answer = str(httpx.get(f"{base}/health", timeout=2).status_code)
    except httpx.TimeoutException:
        pass
    except httpx.HTTPError as exc:
        answer = type(exc).__name__
    if probes is not None:
        probes.append(f"{answer}@{time.monotonic() - started:.1f}")
    return answer == "200"


def _pending(url: str) -> int:
    return int(
        query(
            url,
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
            "AND queue_name <> 'maintenance' "
            # A broker notice held for the demo agency's next opening is not the run's work.
            "AND (scheduled_at IS NULL OR scheduled_at < now() + interval '2 minutes')",
        )[0][0]
    )


def _until(check: Any, seconds: float, failure: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(failure)


async def post_retrying(
    http: httpx.AsyncClient, path: str, payload: dict[str, Any], d: Deployment
) -> None:
    """Deliver one webhook the way providers do: retry until acknowledged."""
    body, headers = signed(payload)
    delay = 0.5
    while True:
        try:
            code = (await http.post(path, content=body, headers=headers)).status_code
        except httpx.HTTPError:
            code = 599
        d.codes[code] = d.codes.get(code, 0) + 1
        if code == 200:
            return
        if d.codes[code] == 1:
            print(f"webhook answered {code}; retrying as a provider would", file=sys.stderr)
        await asyncio.sleep(delay)
        delay = min(5.0, delay * 2)


async def stream(
    d: Deployment, prefix: str, *, rate: float, seconds: float, agency: int = 0
) -> None:
    number = (PHONE_NUMBER_ID, OTHER_NUMBER_ID)[agency]
    base_phone = 10_000_000 * (agency + 1)  # Brazilian mobiles: 55 11 9 and 8 digits
    async with httpx.AsyncClient(base_url=d.base, timeout=60) as http:
        tasks, started = [], time.perf_counter()
        for i in range(int(rate * seconds)):
            wait = started + i / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            payload = meta_text(
                TEXTS[i % len(TEXTS)],
                wamid=f"wamid.{prefix}.{i:06d}",
                phone=f"55119{(base_phone + i + _offset(prefix)) % 100_000_000:08d}",
                phone_number_id=number,
            )
            tasks.append(asyncio.create_task(post_retrying(http, d.paths[agency], payload, d)))
        await asyncio.gather(*tasks)


def _offset(prefix: str) -> int:
    return int(uuid.uuid5(uuid.NAMESPACE_DNS, prefix).int % 1_000) * 10_000


def parts_per_answer(url: str, prefix: str) -> float:
    rows = query(
        url,
        "SELECT count(o.id)::float / greatest(1, count(DISTINCT o.media->>'in_reply_to')) "
        "FROM messages o JOIN messages m ON o.media->>'in_reply_to' = m.id::text "
        "WHERE m.external_id LIKE %(p)s AND o.direction = 'outbound'",
        p=f"wamid.{prefix}.%",
    )
    return float(rows[0][0] or 0)


def first_replies(url: str, prefix: str) -> list[float]:
    return [float(r[0]) for r in query(url, FIRST_REPLY, prefix=f"wamid.{prefix}.%")]


def stored(url: str, prefix: str) -> int:
    return int(
        query(
            url, "SELECT count(*) FROM messages WHERE external_id LIKE %(p)s", p=f"wamid.{prefix}.%"
        )[0][0]
    )


def fig(values: list[float]) -> str:
    p50, p95 = pct(values, 50), pct(values, 95)
    if p50 is None or p95 is None:
        return "no data"
    return f"p50 {p50:.1f} s, p95 {p95:.1f} s, max {max(values):.1f} s (n={len(values)})"


def drain(d: Deployment, timeout: float = 300) -> None:
    try:
        _until(lambda: not _pending(d.url), timeout * (3 if KEEP_INDEXING else 1), "pending")
    except RuntimeError:
        left = query(
            d.url,
            "SELECT task_name, status, count(*), min(scheduled_at) FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing') GROUP BY 1, 2",
        )
        raise RuntimeError(f"jobs still pending: {left}") from None


# --- scenarios -------------------------------------------------------------------------------


def scenario_stream(d: Deployment, args: argparse.Namespace, label: str = "") -> list[str]:
    cpu_before = cpu_seconds(d.worker.process.pid)
    with profiled(d.worker.process.pid, args.profile, label):
        asyncio.run(stream(d, "steady", rate=args.rate, seconds=args.seconds))
        drain(d)
    cpu = cpu_seconds(d.worker.process.pid) - cpu_before
    values = first_replies(d.url, "steady")
    p95 = pct(values, 95)
    verdict = "PASS" if p95 is not None and p95 <= GOAL_P95_SECONDS else "MISS"
    count = stored(d.url, "steady")
    return [
        f"stream{label}: {args.rate:g} new leads/s for {args.seconds:g} s, {count} stored, "
        f"load average {load_average()}",
        f"  first reply part sent after: {fig(values)}",
        stage_line(stage_times(d.url, "steady")),
        f"  reply parts per answer: {parts_per_answer(d.url, 'steady'):.1f}; worker CPU "
        f"{cpu / max(1, count) * 1000:.0f} ms per message",
        f"goal: first-reply p95 <= {GOAL_P95_SECONDS:g} s at {args.rate:g} leads/s: {verdict}",
    ]


@contextlib.contextmanager
def profiled(pid: int, out: Path | None, label: str) -> Iterator[None]:
    """With ``--profile DIR``: sample the worker with py-spy while the block runs and write
    its stacks (collapsed, one line per stack with its sample count) under DIR."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if out is None or not Path(spy).exists():
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() else "-" for c in label).strip("-") or "stream"
    argv = [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "50", "--gil"]
    argv += ["--output", str(out / f"{name}.txt")]
    recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)


async def _flood_and_chat(d: Deployment, args: argparse.Namespace) -> None:
    await asyncio.gather(
        stream(d, "flood", rate=args.flood_rate, seconds=args.seconds, agency=0),
        stream(d, "calm", rate=1, seconds=args.seconds, agency=1),
    )


def scenario_flood(d: Deployment, args: argparse.Namespace) -> list[str]:
    asyncio.run(_flood_and_chat(d, args))
    drain(d)
    return [
        f"flood: agency A {args.flood_rate:g} new leads/s, agency B 1 new lead/s, "
        f"for {args.seconds:g} s",
        f"  agency A first reply: {fig(first_replies(d.url, 'flood'))}",
        f"  agency B first reply: {fig(first_replies(d.url, 'calm'))}",
    ]


def scenario_outage(
    d: Deployment, args: argparse.Namespace, stop_db: Any, start_db: Any
) -> list[str]:
    probes: list[str] = []

    async def run() -> dict[str, float]:
        load = asyncio.create_task(
            stream(d, "outage", rate=args.rate, seconds=args.seconds + args.outage)
        )
        await asyncio.sleep(args.seconds / 2)
        await asyncio.to_thread(stop_db)
        await asyncio.sleep(args.outage)
        await asyncio.to_thread(start_db)
        back = time.monotonic()
        print("  PostgreSQL is back", file=sys.stderr, flush=True)
        with profiled(d.api.process.pid, args.profile, "outage-api-recovery"):
            health = await asyncio.to_thread(_until, lambda: _healthy(d.base, probes), 300, "API")
        print(f"  API healthy after {health:.1f} s", file=sys.stderr, flush=True)
        sent = await asyncio.to_thread(
            _until,
            lambda: query(
                d.url, "SELECT count(*) FROM messages WHERE sent_at > now() - interval '1 second'"
            )[0][0],
            300,
            "no send after the outage",
        )
        print(f"  worker sending after {sent:.1f} s", file=sys.stderr, flush=True)
        await load
        await asyncio.to_thread(drain, d)
        answered = time.monotonic() - back
        return {"health": health, "sent": sent, "answered": answered}

    figures = asyncio.run(run())
    unanswered = stored(d.url, "outage") - len(first_replies(d.url, "outage"))
    alive = d.worker.process.poll() is None and d.api.process.poll() is None
    return [
        f"outage: PostgreSQL stopped for {args.outage:g} s under {args.rate:g} new leads/s",
        f"  after PostgreSQL returned: API healthy in {figures['health']:.1f} s, worker sending "
        f"in {figures['sent']:.1f} s, backlog answered in {figures['answered']:.1f} s",
        f"  /health probes after PostgreSQL returned (answer@seconds): {_runs(probes)}",
        f"  webhook answers: {dict(sorted(d.codes.items()))}; unanswered {unanswered}; "
        f"API and worker still the same processes: {alive}",
        *[f"  unanswered: {row}" for row in _unanswered(d.url, "outage")],
    ]


def _runs(probes: list[str]) -> str:
    """``a, a, b`` as ``a x2, b``."""
    runs: list[list[Any]] = []
    for probe in probes:
        if runs and runs[-1][0] == probe.split("@")[0]:
            runs[-1][1] += 1
        else:
            runs.append([probe.split("@")[0], 1, probe])
    return ", ".join(f"{first} x{n}" if n > 1 else first for _, n, first in runs)


_UNANSWERED = """
SELECT m.id, m.processed_at IS NOT NULL AS processed,
       (SELECT string_agg(j.status::text || '/' || j.attempts, ',') FROM procrastinate_jobs j
         WHERE j.args->>'message_id' = m.id::text) AS inbound_jobs,
       (SELECT string_agg(o.status || coalesce(' since ' || o.sending_since::text, '')
                          || coalesce(' ' || o.error, '') || ' job ' || coalesce(
                 (SELECT string_agg(j.status::text || '/' || j.attempts, ',')
                    FROM procrastinate_jobs j WHERE j.args->>'message_id' = o.id::text), 'none'),
                          '; ')
          FROM messages o WHERE o.media->>'in_reply_to' = m.id::text) AS replies
FROM messages m
WHERE m.external_id LIKE %(p)s AND NOT EXISTS (
    SELECT 1 FROM messages o WHERE o.media->>'in_reply_to' = m.id::text AND o.sent_at IS NOT NULL)
"""


def _unanswered(url: str, prefix: str) -> list[tuple[Any, ...]]:
    """What became of each stored message left without a sent reply (its jobs, its replies)."""
    return query(url, _UNANSWERED, p=f"wamid.{prefix}.%")


def run(args: argparse.Namespace, workdir: Path) -> str:
    lines = [f"load average before: {load_average()}"]
    scenarios = [name for name in SCENARIOS if name in args.only.split(",")]
    variants = _variants(args, workdir)
    names = [f"stream-{v}-{r}" for r in range(args.rounds) for v in variants]
    names += [n for n in ("flood", "outage") if n in scenarios]
    with postgres_server() as server_url, databases(server_url, names) as urls:
        children = Children(workdir)
        with FakeGraph() as graph:
            try:
                if "stream" in scenarios:
                    lines += _streams(args, children, urls, workdir, graph.url, variants)
                if "flood" in scenarios:
                    print("flood ...", file=sys.stderr)
                    d = start(children, urls["flood"], workdir, graph.url, "flood")
                    lines += scenario_flood(d, args)
                    print("\n".join(lines), flush=True)
                    children.stop_all()
                if "outage" in scenarios:
                    print("outage ...", file=sys.stderr)
                    d = start(children, urls["outage"], workdir, graph.url, "outage")
                    stop_db, start_db = _embedded_controls()
                    lines += scenario_outage(d, args, stop_db, start_db)
            finally:
                children.stop_all()
    return "\n".join(lines)


SCENARIOS = ("stream", "flood", "outage")


def _variants(args: argparse.Namespace, workdir: Path) -> dict[str, Path]:
    """The code trees the stream runs on: this checkout, and with ``--baseline REF`` that
    commit's tree (exported with ``git archive``), so both are measured in the same run on
    the same machine, one after the other, round after round."""
    if not args.baseline:
        return {"ours": ROOT}
    tree = workdir / "baseline-src"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return {"baseline": tree, "ours": ROOT}


def _streams(
    args: argparse.Namespace,
    children: Children,
    urls: dict[str, str],
    workdir: Path,
    graph_url: str,
    variants: dict[str, Path],
) -> list[str]:
    lines: list[str] = []
    for r in range(args.rounds):
        order = list(variants.items())
        for variant, source in order if r % 2 == 0 else order[::-1]:
            name = f"stream-{variant}-{r}"
            print(f"{name} ...", file=sys.stderr)
            d = start(children, urls[name], workdir, graph_url, name, source=source)
            label = f" [{variant}{f' = {args.baseline}' if variant == 'baseline' else ''}, "
            lines += scenario_stream(d, args, label=f"{label}round {r + 1}]")
            print("\n".join(lines[-5:]), flush=True)
            children.stop_all()
    return lines


def _embedded_controls() -> tuple[Any, Any]:
    """Stop/start the throwaway pgserver the bench runs on (not possible on an external one)."""
    import pgserver
    from pgserver._commands import pg_ctl

    (server,) = pgserver.postgres_server.PostgresServer._instances.values()

    def stop() -> None:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start() -> None:
        with server._lock:
            server.ensure_postgres_running()

    return stop, start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=5, help="new leads per second")
    parser.add_argument("--seconds", type=float, default=30, help="duration of each load")
    parser.add_argument("--flood-rate", type=float, default=15, help="agency A's leads/s")
    parser.add_argument("--outage", type=float, default=15, help="seconds PostgreSQL is away")
    parser.add_argument("--demo", action="store_true", help="agency A is the demo agency")
    parser.add_argument(
        "--index",
        action="store_true",
        help="--demo, and its listings and documents are embedded while the stream runs",
    )
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help="scenarios to run: stream,flood,outage"
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also run the stream on this git commit's code (e.g. main), alternating with ours",
    )
    parser.add_argument("--rounds", type=int, default=1, help="stream runs per code tree")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample the stream's worker with py-spy (if installed) into DIR",
    )
    parser.add_argument(
        "--logs", type=Path, metavar="DIR", help="keep the processes' logs in DIR (kept after)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for the API and the worker, e.g. VELLARYS_WEBHOOK_CONCURRENCY=30",
    )
    args = parser.parse_args(argv)
    EXTRA_ENV.update(item.split("=", 1) for item in args.env)
    global WITH_DEMO, KEEP_INDEXING
    WITH_DEMO, KEEP_INDEXING = args.demo or args.index, args.index
    started = time.monotonic()
    with kept_or_temporary(args.logs, "vellarys-bench-prod-") as workdir:
        print(run(args, workdir))
    print(f"(bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
