"""Chaos: a bounded stream of signed webhooks while the worker is SIGKILLed, the API restarted,
PostgreSQL stopped and the provider fails or hangs; then nothing may be lost, sent twice or
answered out of order.

    make chaos          # .venv/bin/python -m bench.chaos              (~5 minutes on 2 cores)
    make chaos-short    # .venv/bin/python -m bench.chaos --short      (under 5 minutes)
    .venv/bin/python -m bench.chaos --messages 6 --seconds 3 --faults worker  # a smoke run

The API and the worker run as their own processes (``python -m vellarys api`` / ``worker``) on a
throwaway embedded PostgreSQL, against an in-process fake Graph API that records every send it
accepts. Webhooks are delivered as providers do: retried until answered 200, some twice (the
same wamid), some of a lead's messages in the wrong order. Each fault is injected while the
stream runs; its recovery is the time from the fault's end until the app serves again: a new
lead's webhook sent then (a probe) is acknowledged and a reply is sent. The time until the
probe itself is answered (after the backlog the fault left) is shown beside it. The API and
the worker each have a warm standby, as under ``vellarys up``, so a restart does not wait for
the interpreter to import the app; the worker runs at the shipped concurrency.

The table counts, from the database and the fake provider: webhooks delivered and acknowledged,
messages stored, replies expected (one per burst the pipeline answered, plus every message
never processed) and sent, sends the provider accepted twice for one message, sends in the one
window no WhatsApp API closes (accepted, then the worker died before recording it: the message is
left ``uncertain``), answers out of the lead's order and jobs stuck at the end. It exits 1 when
anything was lost, duplicated outside that window or answered out of order, or a fault took more
than 60 s to recover from.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.kit import kept_or_temporary, meta_text, signed
from bench.pipeline import (
    Child,
    Children,
    child_env,
    free_port,
    postgres_server,
    query,
    seed,
    wait_for_worker,
)
from bench.production import _embedded_controls
from vellarys.db import migrate

RECOVERY_GOAL_SECONDS = 60.0
# ``--faults`` keys, in the order the faults are injected (see ``run_chaos``).
FAULTS = ("worker", "api", "postgres", "provider-500", "provider-hang")
# Starting the processes, before the stream: minutes on a loaded machine.
START_SECONDS = 300.0
TEXTS = (
    "Oi, procuro um apartamento para alugar em Pinheiros",
    "Tem algo com 2 quartos?",
    "Qual o valor do condomínio?",
    "Obrigada!",
)


# --- the fake provider -----------------------------------------------------------------------


class _Graph(BaseHTTPRequestHandler):
    provider: FaultyGraph

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        mode = self.provider.mode
        if mode == "hang":  # held past the sender's timeout, then dropped: never accepted
            time.sleep(self.provider.hang_seconds)
            self.close_connection = True
            return
        if mode == "fail":
            self._answer(500, {"error": {"message": "chaos", "code": 1}})
            return
        wamid = self.provider.accept(json.loads(body or b"{}"))
        self._answer(200, {"messaging_product": "whatsapp", "messages": [{"id": wamid}]})

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FaultyGraph:
    """A Graph API whose sends can fail (500) or hang; it keeps the wamid of every accepted send."""

    def __init__(self, hang_seconds: float) -> None:
        self.mode = "ok"
        self.hang_seconds = hang_seconds
        self.accepted: list[str] = []
        self._lock = threading.Lock()
        handler = type("Handler", (_Graph,), {"provider": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True

    def accept(self, payload: dict[str, Any]) -> str:
        with self._lock:
            wamid = f"wamid.out.{len(self.accepted) + 1:07d}"
            self.accepted.append(wamid)
        return wamid

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FaultyGraph:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the deployment ------------------------------------------------------------------------


@dataclass
class Deployment:
    """The API and the worker as ``vellarys up`` runs them: each with a warm standby
    (``vellarys.cli.standby``) that a restart hands over to, as the supervisor does."""

    url: str
    env: dict[str, str]
    children: Children
    port: int
    path: str
    api: Child | None = None
    worker: Child | None = None
    standbys: dict[str, list[Child]] = field(default_factory=dict)  # oldest first
    spawned: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _argv(self, command: str) -> list[str]:
        if command == "api":
            return ["api", "--port", str(self.port)]
        return [command]

    def _start(self, command: str) -> Child:
        waiting = self.standbys.get(command) or []
        spare = waiting.pop(0) if waiting else None
        if spare is not None and spare.process.poll() is None and spare.process.stdin:
            spare.process.stdin.write(b"run\n")
            spare.process.stdin.close()
            return spare
        argv = [sys.executable, "-m", "vellarys", *self._argv(command)]
        return self.children.start(command, argv, self.env)

    def warm(self, command: str) -> Child:
        """A standby for ``command``, started now; ``standby_ready`` tells when it waits."""
        argv = [sys.executable, "-m", "vellarys.cli.standby", *self._argv(command)]
        self.spawned += 1
        name = f"{command}-standby-{self.spawned}"
        spare = self.children.start(name, argv, self.env, stdin=subprocess.PIPE)
        self.standbys.setdefault(command, []).append(spare)
        return spare

    def standby_ready(self, command: str) -> bool:
        spare = (self.standbys.get(command) or [None])[0]
        if spare is None or spare.process.poll() is not None:
            return False
        return "ready" in Path(spare.log.name).read_text(errors="replace")

    def start_api(self) -> None:
        self.api = self._start("api")

    def start_worker(self) -> None:
        self.worker = self._start("worker")

    def kill(self, child: Child | None, sig: int) -> None:
        if child is not None and child.process.poll() is None:
            child.process.send_signal(sig)
            child.process.wait(timeout=30)
        if child is not None:
            self.children.stop(child)


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def until(check: Callable[[], bool], seconds: float) -> float | None:
    """Seconds until ``check`` holds (polled off the event loop), None past ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if await asyncio.to_thread(check):
                return time.monotonic() - started
        except Exception:  # a database that is still away is an answer of "not yet"
            pass
        await asyncio.sleep(0.25)
    return None


REPLIED = """
SELECT count(*) FROM messages o JOIN messages i ON o.media->>'in_reply_to' = i.id::text
WHERE i.external_id = %(wamid)s AND o.direction = 'outbound' AND o.sent_at IS NOT NULL
"""


def replied(url: str, wamid: str) -> bool:
    return bool(query(url, REPLIED, wamid=wamid)[0][0])


# --- the stream ----------------------------------------------------------------------------


@dataclass
class Delivery:
    delivered: int = 0  # distinct webhooks the provider had to get acknowledged
    posts: int = 0
    acknowledged: int = 0
    codes: dict[int, int] = field(default_factory=dict)
    wamids: set[str] = field(default_factory=set)  # acknowledged at least once


async def deliver(
    http: httpx.AsyncClient, d: Deployment, payload: Any, out: Delivery, *, backoff: float = 4.0
) -> None:
    """One webhook, retried the way providers retry until it is answered 200 (the delay
    doubles from 0.5 s up to ``backoff``)."""
    body, headers = signed(payload)
    delay = 0.5
    while True:
        out.posts += 1
        try:
            code = (await http.post(d.path, content=body, headers=headers)).status_code
        except httpx.HTTPError:
            code = 599
        out.codes[code] = out.codes.get(code, 0) + 1
        if code == 200:
            out.acknowledged += 1
            out.wamids.add(payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
            return
        await asyncio.sleep(delay)
        delay = min(backoff, delay * 2)


def plan(
    messages: int, per_lead: int, seed_value: int, seconds: float
) -> list[tuple[float, dict[str, Any]]]:
    """(offset in the stream, webhook): new leads spread over ``seconds``, each lead's messages
    a few seconds apart, one lead in five delivered in reverse order, one webhook in five
    delivered twice."""
    rng = random.Random(seed_value)
    leads = max(1, messages // per_lead)
    plan: list[tuple[float, dict[str, Any]]] = []
    for lead in range(leads):
        start = lead * seconds / leads
        phone = f"55119{70_000_000 + lead:08d}"
        order = list(range(per_lead))
        if lead % 5 == 4:
            order.reverse()  # the provider delivers the second before the first
        for slot, index in enumerate(order):
            wamid = f"wamid.chaos.{lead:05d}.{index}"
            payload = meta_text(TEXTS[index % len(TEXTS)], wamid=wamid, phone=phone)
            offset = start + slot * rng.uniform(4.0, 8.0)
            plan.append((offset, payload))
            if rng.random() < 0.2:
                plan.append((offset + rng.uniform(0.0, 3.0), payload))
    return sorted(plan, key=lambda item: item[0])


async def stream(d: Deployment, items: list[tuple[float, dict[str, Any]]], out: Delivery) -> None:
    async with httpx.AsyncClient(base_url=d.base, timeout=30) as http:
        started, tasks = time.monotonic(), []
        for offset, payload in items:
            wait = started + offset - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            out.delivered += 1
            tasks.append(asyncio.create_task(deliver(http, d, payload, out)))
        await asyncio.gather(*tasks)


def sent_since(url: str, moment: float) -> bool:
    rows = query(
        url,
        "SELECT count(*) FROM messages WHERE direction = 'outbound' AND sent_at IS NOT NULL "
        "AND sent_at > to_timestamp(%(t)s)",
        t=moment,
    )
    return bool(rows[0][0])


async def probe(d: Deployment, out: Delivery, number: int) -> tuple[float | None, float | None]:
    """After a fault has ended: seconds until the app serves again (a new lead's webhook is
    acknowledged and a reply is sent, to anyone), and until that new lead is answered (which
    also waits for the backlog the fault left). None past twice the goal."""
    wamid = f"wamid.probe.{number:03d}"
    payload = meta_text(TEXTS[0], wamid=wamid, phone=f"55119{60_000_000 + number:08d}")
    started, ended, limit = time.monotonic(), time.time(), RECOVERY_GOAL_SECONDS * 2
    out.delivered += 1

    async def acknowledged() -> float | None:
        async with httpx.AsyncClient(base_url=d.base, timeout=10) as http:
            try:
                await asyncio.wait_for(deliver(http, d, payload, out, backoff=0.5), limit)
            except TimeoutError:
                return None
        return time.monotonic() - started

    ack, sent = await asyncio.gather(acknowledged(), until(lambda: sent_since(d.url, ended), limit))
    served = None if ack is None or sent is None else max(ack, sent)
    left = max(1.0, limit - (time.monotonic() - started))
    answered = await until(lambda: replied(d.url, wamid), left)
    return served, None if answered is None else time.monotonic() - started


# --- the faults ----------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    at: float  # seconds into the stream
    recovery: float | None = None
    answered: float | None = None  # the probe's own reply, after the backlog


async def worker_killed(d: Deployment, pause: float) -> None:
    d.kill(d.worker, signal.SIGKILL)
    await asyncio.sleep(pause)
    d.start_worker()  # as ``vellarys up`` does: its warm standby takes over


async def api_restarted(d: Deployment, pause: float) -> None:
    d.kill(d.api, signal.SIGTERM)
    await asyncio.sleep(pause)
    d.start_api()


async def postgres_stopped(d: Deployment, pause: float) -> None:
    stop_db, start_db = _embedded_controls()
    await asyncio.to_thread(stop_db)
    await asyncio.sleep(pause)
    await asyncio.to_thread(start_db)


def provider(graph: FaultyGraph, mode: str) -> Callable[[Deployment, float], Awaitable[None]]:
    async def fault(d: Deployment, pause: float) -> None:
        graph.mode = mode
        await asyncio.sleep(pause)
        graph.mode = "ok"

    return fault


# --- the accounts ----------------------------------------------------------------------------

ANSWERED = """
WITH bursts AS (
    SELECT m.lead_id, m.processed_at, array_agg(m.id::text) AS ids
    FROM messages m
    WHERE m.direction = 'inbound' AND m.processed_at IS NOT NULL
    GROUP BY m.lead_id, m.processed_at
)
-- A burst of a lead handed off or opted out ("quiet") may or may not have had a reply (the
-- one that handed over did; later ones are a person's): it is neither expected nor counted.
SELECT count(*),
       count(*) FILTER (WHERE NOT (l.ai_paused OR l.opted_out) AND EXISTS (
           SELECT 1 FROM messages o WHERE o.direction = 'outbound'
           AND o.media->>'in_reply_to' = ANY(b.ids)
           AND (o.status IN ('sent', 'delivered', 'read', 'uncertain')
                OR (o.status = 'pending' AND o.sending_since IS NOT NULL)))),
       count(*) FILTER (WHERE l.ai_paused OR l.opted_out)
FROM bursts b JOIN leads l ON l.id = b.lead_id
"""
OUT_OF_ORDER = """
SELECT count(*) FROM messages a JOIN messages b
  ON a.lead_id = b.lead_id AND a.direction = 'inbound' AND b.direction = 'inbound'
 AND a.created_at < b.created_at AND a.processed_at > b.processed_at
"""
# Due and not done: a follow-up scheduled for tomorrow is not stuck.
STUCK = (
    "SELECT count(*) FROM procrastinate_jobs WHERE queue_name <> 'maintenance' AND "
    "(status = 'doing' OR (status = 'todo' AND coalesce(scheduled_at, now()) <= now()))"
)


@dataclass
class Accounts:
    stored: int
    unprocessed: int
    bursts: int
    answered: int  # bursts answered, of leads neither handed off nor opted out
    quiet: int  # bursts of leads handed off or opted out: answered by a person, or not at all
    sent_rows: list[str]
    wamids: set[str]  # inbound provider ids stored
    uncertain: int
    out_of_order: int
    stuck: int
    outbound: dict[str, int]  # outbound messages by status


def accounts(url: str) -> Accounts:
    stored, unprocessed = query(
        url,
        "SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL) FROM messages "
        "WHERE direction = 'inbound'",
    )[0]
    bursts, answered, quiet = query(url, ANSWERED)[0]
    sent = [
        str(r[0])
        for r in query(
            url,
            "SELECT external_id FROM messages WHERE direction = 'outbound' "
            "AND external_id IS NOT NULL",
        )
    ]
    wamids = {
        str(r[0])
        for r in query(url, "SELECT external_id FROM messages WHERE direction = 'inbound'")
    }
    statuses = dict(
        query(url, "SELECT status, count(*) FROM messages WHERE direction = 'outbound' GROUP BY 1")
    )
    # Cut off after reaching the provider: uncertain, or still pending with its attempt open.
    in_flight = query(
        url, "SELECT count(*) FROM messages WHERE status = 'pending' AND sending_since IS NOT NULL"
    )[0][0]
    uncertain = statuses.get("uncertain", 0) + in_flight
    return Accounts(
        int(stored), int(unprocessed), int(bursts), int(answered), int(quiet), sent, wamids,
        int(uncertain), int(query(url, OUT_OF_ORDER)[0][0]), int(query(url, STUCK)[0][0]),
        {str(k): int(v) for k, v in statuses.items()},
    )  # fmt: skip


def settled(url: str) -> bool:
    """No job due and no reply waiting to be sent (a send cut off by a crash is found again by
    the periodic requeue of stuck outbound messages)."""
    done = accounts(url)
    return done.stuck == 0 and done.outbound.get("pending", 0) == 0


# --- the run -------------------------------------------------------------------------------


def environment(url: str, workdir: Path, graph_url: str) -> dict[str, str]:
    env = child_env(url, workdir, graph_url, "chaos")
    env.pop("VELLARYS_WORKER_CONCURRENCY")  # as shipped
    return env | {
        "VELLARYS_PROVIDER_TIMEOUT_SECONDS": "2",
        "VELLARYS_STALLED_JOB_SECONDS": "5",
        "VELLARYS_OUTBOUND_STUCK_SECONDS": "20",
        "VELLARYS_SEND_RETRY_BASE_SECONDS": "0.5",
        "VELLARYS_SEND_MAX_ATTEMPTS": "10",
        "VELLARYS_LOG_FORMAT": "json",
    }


async def run_chaos(d: Deployment, graph: FaultyGraph, args: argparse.Namespace) -> list[Fault]:
    items = plan(args.messages, 2, args.seed, args.seconds)
    kinds: list[tuple[str, Callable[[Deployment, float], Awaitable[None]]]] = [
        ("worker SIGKILLed", worker_killed),
        ("API restarted", api_restarted),
        ("PostgreSQL stopped", postgres_stopped),
        ("provider answers 500", provider(graph, "fail")),
        ("provider hangs", provider(graph, "hang")),
    ]
    kinds = [kind for kind, key in zip(kinds, FAULTS, strict=True) if key in args.faults]
    schedule = [k for _ in range(args.rounds) for k in kinds]
    span = args.seconds
    faults = [Fault(name, span * i / len(schedule)) for i, (name, _) in enumerate(schedule)]
    out = Delivery()
    load = asyncio.create_task(stream(d, items, out))
    started = time.monotonic()
    for number, (fault, (_, inject)) in enumerate(zip(faults, schedule, strict=True)):
        await asyncio.sleep(max(0.0, started + fault.at - time.monotonic()))
        print(f"  {time.monotonic() - started:5.1f} s  {fault.name}", file=sys.stderr, flush=True)
        await inject(d, args.pause)
        fault.recovery, fault.answered = await probe(d, out, number)
        if fault.name == "worker SIGKILLed":
            d.warm("worker")  # the next standby, once the new worker no longer shares the CPU
        elif fault.name == "API restarted":
            d.warm("api")
    await load
    args.delivery = out
    await until(lambda: settled(d.url), 180)
    return faults


def table(d: Delivery, a: Accounts, accepted: list[str], faults: list[Fault]) -> tuple[str, bool]:
    recorded = set(a.sent_rows)
    orphans = sum(1 for wamid in accepted if wamid not in recorded)
    window = min(orphans, a.uncertain)
    duplicates = orphans - window
    expected = a.bursts - a.quiet + a.unprocessed
    not_stored = len(d.wamids - a.wamids)
    lost = not_stored + max(0, expected - a.answered)
    recoveries = [f.recovery for f in faults]
    worst = max((r for r in recoveries if r is not None), default=0.0)
    rows = [
        ("webhooks delivered (distinct deliveries)", d.delivered),
        ("webhooks acknowledged 200", d.acknowledged),
        ("posts, retries included", f"{d.posts} {dict(sorted(d.codes.items()))}"),
        ("inbound messages stored", a.stored),
        ("acknowledged but not stored", not_stored),
        ("replies expected (bursts + never processed)", expected),
        ("bursts answered (quiet ones apart)", a.answered),
        ("bursts of leads handed off or opted out", a.quiet),
        ("outbound messages by status", dict(sorted(a.outbound.items()))),
        ("sends accepted by the provider", len(accepted)),
        ("duplicate sends", duplicates),
        ("sends in the unavoidable window (uncertain)", window),
        ("answers out of order", a.out_of_order),
        ("jobs stuck at the end", a.stuck),
    ]
    rows += [(f"recovery: {f.name}", _recovery(f)) for f in faults]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {value}" for label, value in rows]
    lines.append(
        f"chaos: lost {lost}, duplicates {duplicates} (+{window} in the unavoidable window), "
        f"out of order {a.out_of_order}, max recovery {worst:.1f} s"
    )
    ok = (
        lost == 0
        and duplicates == 0
        and a.out_of_order == 0
        and a.stuck == 0
        and all(r is not None and r <= RECOVERY_GOAL_SECONDS for r in recoveries)
    )
    return "\n".join(lines), ok


def _recovery(fault: Fault) -> str:
    if fault.recovery is None:
        return "not recovered"
    answered = "never" if fault.answered is None else f"{fault.answered:.1f} s"
    return f"{fault.recovery:.1f} s (a new lead answered after {answered})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--short", action="store_true", help="fewer messages, each fault once")
    parser.add_argument("--messages", type=int, default=None, help="webhooks in the stream")
    parser.add_argument("--rounds", type=int, default=None, help="times each fault is injected")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds each fault lasts")
    parser.add_argument("--seconds", type=float, default=None, help="seconds of new leads")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--faults",
        type=lambda text: text.split(","),
        default=list(FAULTS),
        help=f"the faults to inject, comma-separated: {','.join(FAULTS)}",
    )
    parser.add_argument(
        "--logs", type=Path, metavar="DIR", help="keep the processes' logs in DIR (kept after)"
    )
    args = parser.parse_args(argv)
    if unknown := set(args.faults) - set(FAULTS):
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    args.messages = args.messages or (120 if args.short else 400)
    args.rounds = args.rounds or (1 if args.short else 2)
    args.seconds = args.seconds or (50.0 if args.short else 150.0)
    if os.environ.get("TEST_DATABASE_URL"):
        parser.error("chaos stops PostgreSQL: it runs on its own embedded server only")
    started = time.monotonic()
    with kept_or_temporary(args.logs, "vellarys-chaos-") as workdir:
        text, ok = chaos(args, workdir)
    print(text)
    print(f"(chaos took {time.monotonic() - started:.0f} s)")
    raise SystemExit(0 if ok else 1)


class Phases:
    """How long each step of the run took, printed as it ends (the fixed cost is the start)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def done(self, name: str) -> None:
        now = time.monotonic()
        print(f"  [{now - self.last:5.1f} s] {name}", file=sys.stderr, flush=True)
        self.last = now


def chaos(args: argparse.Namespace, workdir: Path) -> tuple[str, bool]:
    phase = Phases()
    with postgres_server() as server_url, FaultyGraph(hang_seconds=4.0) as graph:
        phase.done("PostgreSQL started")
        url = make_url(server_url).set(database="vellarys_chaos").render_as_string(False)
        children = Children(workdir)
        d = Deployment(url, environment(url, workdir, graph.url), children, free_port(), "")
        try:
            # The API, the worker and a standby of each import the app meanwhile (over a
            # minute on a loaded machine): the first two standbys become the API and worker.
            for command in ("api", "worker", "api", "worker"):
                d.warm(command)
            create_migrated(server_url, url)
            phase.done("database created and migrated")
            d.path = asyncio.run(seed(url, workdir / "seed"))
            phase.done("seeded")
            d.start_api()
            d.start_worker()
            assert d.worker is not None
            if not asyncio.run(until(lambda: healthy(d.base), START_SECONDS)):
                raise RuntimeError(f"the API did not start:\n{children.tail('api-standby-1')}")
            wait_for_worker(url, d.worker, START_SECONDS)
            phase.done("API and worker serving")
            for command in ("api", "worker"):
                ready = functools.partial(d.standby_ready, command)
                if not asyncio.run(until(ready, START_SECONDS)):
                    raise RuntimeError(f"the {command} standby did not start")
            phase.done("standbys ready")
            faults = asyncio.run(run_chaos(d, graph, args))
            phase.done("stream, faults and settling")
            return table(args.delivery, accounts(url), list(graph.accepted), faults)
        finally:
            children.stop_all()


def create_migrated(server_url: str, url: str) -> None:
    """The run's database (its server is thrown away after the run, and the database with it)."""
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(make_url(url).database)))
    migrate.upgrade(url)


if __name__ == "__main__":
    main()
