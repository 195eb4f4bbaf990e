"""A worker killed with SIGKILL mid-job: the message is answered exactly once after a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.pipeline.harness import Stack, meta_text
from vellarys.db.url import libpq_url


def _start_worker(stack: Stack, tmp: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    env |= {
        "VELLARYS_DATABASE_URL": stack.container.database_url,
        "VELLARYS_DATA_DIR": str(tmp),
        # The key the stack sealed the channel credentials with.
        "VELLARYS_SECRET_KEY": stack.container.settings.resolved_secret_key,
        "VELLARYS_META_GRAPH_URL": stack.graph.url,
        "VELLARYS_DEBOUNCE_SECONDS": "0",
        "VELLARYS_SEND_PACE_SECONDS": "0",
        "VELLARYS_STALLED_JOB_SECONDS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "vellarys", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "worker.log", "ab"),
    )


async def _wait_for(stack: Stack, sql: str, expected: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await stack.scalar(sql) == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{sql!r} never became {expected!r}")


async def test_a_worker_killed_mid_job_answers_exactly_once_after_restart(
    stack: Stack, tmp_path: Path
) -> None:
    await stack.post(meta_text("Oi, quero comprar um apartamento", wamid="wamid.CRASH1"))
    inbound_id = await stack.scalar("SELECT id FROM messages WHERE direction = 'inbound'")
    # Hold the message's row lock so the worker's job blocks in the middle of its transaction.
    blocker = psycopg.connect(libpq_url(stack.container.database_url))
    blocker.execute("SELECT 1 FROM messages WHERE id = %s FOR UPDATE", (inbound_id,))
    worker = _start_worker(stack, tmp_path)
    try:
        await _wait_for(
            stack,
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' "
            "AND task_name = 'vellarys:handle_inbound'",
            1,
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        blocker.rollback()
        blocker.close()
    assert await stack.scalar("SELECT count(*) FROM messages WHERE direction = 'outbound'") == 0
    await asyncio.sleep(2.5)  # past the stalled-worker limit, so the restart rescues the job

    # The same lead writes again while its first job is still stuck "doing".
    await stack.post(meta_text("tem com 2 quartos?", wamid="wamid.CRASH2"))
    restarted = _start_worker(stack, tmp_path)
    try:
        await _wait_for(
            stack,
            "SELECT count(*) FROM messages WHERE direction = 'inbound' AND processed_at IS NULL",
            0,
        )
        await _wait_for(
            stack,
            "SELECT count(*) FROM messages WHERE direction = 'outbound' AND status = 'pending'",
            0,
        )
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    replies = await stack.messages(direction="outbound")
    assert replies and all(m.status == "sent" for m in replies)
    # One reply batch (the burst of both messages), each message sent once.
    assert len({m.media["in_reply_to"] for m in replies}) == 1
    assert len(stack.graph.sent) == len(replies)
