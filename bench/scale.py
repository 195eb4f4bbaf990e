"""Scale-out: the same open-loop stream against 1 API + 1 worker, then 2 API + 2 workers, all
on one PostgreSQL (the embedded one, or ``TEST_DATABASE_URL``'s server), on this machine.

    .venv/bin/python -m bench.scale                       # 20 msg/s for 20 s, each layout
    .venv/bin/python -m bench.scale --rate 40 --seconds 10
    TEST_DATABASE_URL=postgresql://... .venv/bin/python -m bench.scale  # an external server

Each message is a new lead's first message, so every one needs its own reply; webhooks go
round-robin to the API processes (a load balancer's job). Workers run at the shipped
concurrency and debounce 0 (one message per lead: the debounce would only delay every reply
by the same amount). Per layout: acknowledged, ack p50/p99, replies sent, replies per second
from the first message stored to the last reply sent, stored -> reply sent p50/p95, the CPU
the API processes spent per acknowledged webhook and the workers per answered message (from
/proc, over the stream), and duplicates: sends the fake provider accepted beyond one per reply
row, and inbound messages with more than one reply. On one 2-core machine both layouts share
the same cores: more processes help only while one process, not the machine, is the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.chaos import FaultyGraph
from bench.pipeline import (
    Children,
    Load,
    Request,
    _post,
    api_argv,
    child_env,
    client,
    databases,
    load_average,
    pct,
    postgres_server,
    query,
    seed,
    signed_requests,
    start_server,
    wait_drained,
    wait_for_worker,
)
from bench.stages import cpu_seconds

LAYOUTS = ((1, 1), (2, 2))
FIGURES = """
SELECT count(*) AS answered,
       extract(epoch FROM max(o.sent_at) - min(m.created_at)) AS span,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - m.created_at)),
       percentile_disc(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM o.sent_at - m.created_at))
FROM messages m
JOIN LATERAL (SELECT min(sent_at) AS sent_at FROM messages
              WHERE media->>'in_reply_to' = m.id::text AND direction = 'outbound') o ON true
WHERE m.direction = 'inbound' AND m.external_id LIKE 'wamid.scale.%%' AND o.sent_at IS NOT NULL
"""
DOUBLE_REPLIES = """
SELECT count(*) FROM (SELECT media->>'in_reply_to' FROM messages WHERE direction = 'outbound'
                      GROUP BY 1 HAVING count(*) > 1) twice
"""


async def round_robin(
    bases: Sequence[str], path: str, requests: list[Request], rate: float
) -> Load:
    """Open loop: one webhook every 1/rate s, to the API processes in turn."""
    clients = [client(base, 64) for base in bases]
    load, tasks = Load(), []
    started = time.perf_counter()
    try:
        for i, request in enumerate(requests):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            http = clients[i % len(clients)]
            tasks.append(asyncio.create_task(_post(http, path, request, load)))
        await asyncio.gather(*tasks)
    finally:
        for http in clients:
            await http.aclose()
    load.elapsed = time.perf_counter() - started
    return load


def layout(url: str, apis: int, workers: int, args: argparse.Namespace, workdir: Path) -> str:
    name = f"{apis}x{workers}"
    path = asyncio.run(seed(url, workdir / f"seed-{name}"))
    children = Children(workdir)
    with FaultyGraph(hang_seconds=0) as graph:
        env = child_env(url, workdir, graph.url, name)
        env.pop("VELLARYS_WORKER_CONCURRENCY")  # as shipped
        try:
            api_children = [
                start_server(children, f"api{i}-{name}", api_argv(), env) for i in range(apis)
            ]
            bases = [base for base, _ in api_children]
            worker_children = []
            for i in range(workers):
                argv = [sys.executable, "-m", "vellarys", "worker"]
                child = children.start(f"worker{i}-{name}", argv, env)
                wait_for_worker(url, child, 300, registered=i + 1)
                worker_children.append(child)
            api_pids = [child.process.pid for _, child in api_children]
            worker_pids = [child.process.pid for child in worker_children]
            api_cpu, worker_cpu = _cpu(api_pids), _cpu(worker_pids)
            count = int(args.rate * args.seconds)
            requests = signed_requests("scale", count, leads=count, phone_base=20_000_000)
            load = asyncio.run(round_robin(bases, path, requests, args.rate))
            drained = wait_drained(url, 600)
            api_cpu, worker_cpu = _cpu(api_pids) - api_cpu, _cpu(worker_pids) - worker_cpu
        finally:
            children.stop_all()
        accepted = len(graph.accepted)
    answered, span, e2e50, e2e95 = query(url, FIGURES)[0]
    sent_rows = query(url, "SELECT count(*) FROM messages WHERE direction = 'outbound' "
                      "AND external_id IS NOT NULL")[0][0]  # fmt: skip
    twice = query(url, DOUBLE_REPLIES)[0][0]
    p50, p99 = (pct([v * 1000 for v in load.latencies], q) for q in (50, 99))
    per_second = answered / float(span) if span else 0.0
    acked = len(load.latencies)
    return (
        f"| {apis} API + {workers} worker | {acked}/{count} "
        f"{dict(load.errors) or ''} | {p50 or 0:.1f} / {p99 or 0:.1f} | {answered} | "
        f"{per_second:.1f} | {float(e2e50 or 0):.2f} / {float(e2e95 or 0):.2f} | "
        f"{_per(api_cpu, acked)} / {_per(worker_cpu, answered)} | "
        f"{accepted - sent_rows} / {twice} | {'yes' if drained else 'NO'} |"
    )


def _cpu(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def _per(seconds: float, count: int) -> str:
    return f"{seconds / count * 1000:.1f}" if count else "—"


def _layouts(text: str) -> list[tuple[int, int]]:
    """``1x1,2x2`` as ``[(1, 1), (2, 2)]``."""
    pairs = [part.split("x") for part in text.split(",") if part.strip()]
    return [(int(apis), int(workers)) for apis, workers in pairs]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=20, help="new leads per second")
    parser.add_argument("--seconds", type=float, default=20, help="stream duration")
    parser.add_argument(
        "--layouts", type=_layouts, default=LAYOUTS, help="APIxWORKERS, comma-separated"
    )
    args = parser.parse_args(argv)
    started, before = time.monotonic(), load_average()
    lines = [
        f"scale-out: {args.rate:g} new leads/s for {args.seconds:g} s, one PostgreSQL "
        f"({server_kind()})",
        "| layout | acknowledged | ack p50 / p99 (ms) | replies sent | replies/s | "
        "stored→sent p50 / p95 (s) | CPU ms per message: APIs / workers | "
        "duplicate sends / double replies | drained |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    names = [f"{a}x{w}" for a, w in args.layouts]
    with (
        tempfile.TemporaryDirectory(prefix="vellarys-scale-") as tmp,
        postgres_server() as server,
        databases(server, names) as urls,
    ):
        for apis, workers in args.layouts:
            print(f"{apis} API + {workers} worker ...", file=sys.stderr, flush=True)
            lines.append(layout(urls[f"{apis}x{workers}"], apis, workers, args, Path(tmp)))
    lines.append(f"load average before: {before}, after: {load_average()}")
    print("\n".join(lines))
    print(f"(bench took {time.monotonic() - started:.0f} s)")


def server_kind() -> str:
    """Which PostgreSQL the run used, for the report (never the password)."""
    external = os.environ.get("TEST_DATABASE_URL")
    if not external:
        return "embedded pgserver, Unix socket"
    url = make_url(external)
    return f"external, {url.host}:{url.port or 5432}"


if __name__ == "__main__":
    main()
