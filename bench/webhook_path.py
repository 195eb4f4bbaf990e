"""The webhook's ack path, in process: SQL statements and CPU per acknowledged webhook.

    .venv/bin/python -m bench.webhook_path                 # 300 webhooks, 100 leads
    .venv/bin/python -m bench.webhook_path --webhooks 50

The real ASGI app (``vellarys.asgi.create_app``) answers signed Meta webhooks through httpx's
ASGI transport, one at a time, on a migrated throwaway database (no worker: the ack path is
store + enqueue). It counts the statements the app's engine executes per webhook (a job
deferred through the queue's own connection, if it has one, is not among them) and the CPU
time of this process per webhook (the app and the client share it: an upper bound of the
API's share), then prints the statements of one webhook of a returning lead.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench.pipeline import databases, load_average, postgres_server, query, seed, signed_requests
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.config import Settings


class Statements:
    def __init__(self) -> None:
        self.count = 0
        self.shapes: Counter[str] = Counter()
        self.recording: list[str] | None = None

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        shape = " ".join(statement.split()[:6])[:90]
        self.shapes[shape] += 1
        if self.recording is not None:
            self.recording.append(shape)


async def measure(url: str, path: str, data_dir: Path, webhooks: int, leads: int) -> str:
    settings = Settings(database_url=url, data_dir=data_dir, secret_key="bench-secret")
    container = build(settings)
    statements = Statements()
    event.listen(container.engine.sync_engine, "before_cursor_execute", statements)
    app = create_app(container)
    warm = signed_requests("hook.warm", 20, leads=20, phone_base=30_000_000)
    requests = signed_requests("hook", webhooks, leads=leads, phone_base=40_000_000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for body, headers in warm:
            assert (await http.post(path, content=body, headers=headers)).status_code == 200
        before, cpu, wall = statements.count, time.process_time(), time.perf_counter()
        for body, headers in requests:
            assert (await http.post(path, content=body, headers=headers)).status_code == 200
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        done = statements.count - before
        statements.recording = []
        body, headers = signed_requests("hook.last", 1, leads=1, phone_base=40_000_000)[0]
        await http.post(path, content=body, headers=headers)
        one = statements.recording
    await container.aclose()
    lines = [
        f"webhook ack path: {webhooks} webhooks over {leads} leads, one at a time, in process",
        f"  app engine statements per webhook: {done / webhooks:.1f}",
        f"  CPU per webhook (app + client, this process): {cpu / webhooks * 1000:.2f} ms",
        f"  wall per webhook: {wall / webhooks * 1000:.2f} ms",
        f"  statements of one webhook of a returning lead ({len(one)}):",
        *(f"    {shape}" for shape in one),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--webhooks", type=int, default=300)
    parser.add_argument("--leads", type=int, default=100)
    args = parser.parse_args(argv)
    before = load_average()
    with (
        tempfile.TemporaryDirectory(prefix="vellarys-hook-") as tmp,
        postgres_server() as server,
        databases(server, ("hook",)) as urls,
    ):
        path = asyncio.run(seed(urls["hook"], Path(tmp) / "seed"))
        text = asyncio.run(
            measure(urls["hook"], path, Path(tmp) / "data", args.webhooks, args.leads)
        )
        jobs = query(urls["hook"], "SELECT count(*) FROM procrastinate_jobs")[0][0]
    print(text)
    print(f"  jobs deferred: {jobs}; load average before: {before}, after: {load_average()}")


if __name__ == "__main__":
    main()
