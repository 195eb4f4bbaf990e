"""A database outage under traffic is ridden out with no action: the API answers 503 while
PostgreSQL is away and recovers with its pool, the worker reconnects and answers everything;
a worker that gives up exits non-zero; ``vellarys up`` restarts a dead child and the embedded
PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import make_settings
from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack, meta_text
from vellarys.cli.supervise import Database, watch_database
from vellarys.db import migrate
from vellarys.db.embedded import embedded_running, pg_data_dir, restart_embedded, start_embedded
from vellarys.worker.runner import pipeline_slots, run_worker


def _stop_postgres(data_dir: Path) -> None:
    """Stop the embedded server the way a crash or a restart would: fast, connections cut."""
    import pgserver
    from pgserver._commands import pg_ctl

    server: Any = pgserver.get_server(pg_data_dir(data_dir))
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, Path]]:
    """A PostgreSQL of this test's own (the suite's shared one must not be stopped), outside
    pytest's folder, whose permissions other pytest runs reset while PostgreSQL's user needs it."""
    data_dir = Path(tempfile.mkdtemp(prefix="vellarys-outage-"))
    url = start_embedded(data_dir, keep_running=True)
    migrate.upgrade(url)
    yield url, data_dir
    if embedded_running(data_dir):
        _stop_postgres(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


async def _answered(stack: Stack) -> int:
    return int(
        await stack.scalar(
            "SELECT count(DISTINCT m.media->>'in_reply_to') FROM messages m "
            "WHERE m.direction = 'outbound' AND m.status = 'sent'"
        )
    )


async def _post_until_stored(stack: Stack, payload: dict[str, Any]) -> list[int]:
    """Post like a provider does: retry on 503 until the webhook is acknowledged."""
    codes = []
    while True:
        try:
            code = (await stack.post(payload)).status_code
        except OSError:
            code = 599
        codes.append(code)
        if code == 200:
            return codes
        await asyncio.sleep(0.3)


async def test_a_database_outage_under_traffic_is_ridden_out_with_no_action(
    own_postgres: tuple[str, Path], tmp_path: Path, graph: FakeGraphAPI
) -> None:
    url, data_dir = own_postgres
    stack = await build_stack(url, tmp_path, graph, worker_give_up_seconds=300)
    worker = asyncio.create_task(run_worker(stack.container.settings))
    try:
        for i in range(5):
            await stack.post(meta_text("Oi, quero alugar", phone=f"55119100{i:05d}"))
        _stop_postgres(data_dir)
        # Webhooks during the outage: 503 (the provider retries), never a 500.
        codes = [(await stack.post(meta_text("Oi", phone="5511920000000"))).status_code]
        assert codes == [503]
        await asyncio.sleep(3)  # the worker notices and starts reconnecting
        restart_embedded(data_dir)
        for i in range(5):
            codes += await _post_until_stored(stack, meta_text("Voltei", phone=f"55119300{i:05d}"))
        assert set(codes) <= {200, 503}
        deadline = time.monotonic() + 120
        while await _answered(stack) < 10 and time.monotonic() < deadline:
            assert not worker.done(), "the worker stopped instead of reconnecting"
            await asyncio.sleep(0.5)
        assert await _answered(stack) == 10
        assert (await stack.client.get("/health")).status_code == 200
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await stack.client.aclose()
        await stack.container.aclose()


async def test_a_worker_that_gives_up_on_the_database_exits_non_zero(tmp_path: Path) -> None:
    nowhere = f"postgresql://postgres:@/vellarys?host={tmp_path}"  # no server on this socket
    settings = make_settings(nowhere, tmp_path, worker_give_up_seconds=1.5)
    assert await run_worker(settings) == 1


def test_the_worker_command_exits_with_status_1_when_it_gives_up(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    env |= {
        "VELLARYS_DATABASE_URL": f"postgresql://postgres:@/vellarys?host={tmp_path}",
        "VELLARYS_DATA_DIR": str(tmp_path),
        "VELLARYS_SECRET_KEY": "test",
        "VELLARYS_WORKER_GIVE_UP_SECONDS": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "vellarys", "worker"], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 1, done.stderr[-2000:]


def _children(pid: int) -> dict[int, str]:
    """Child processes of ``pid`` and their command lines (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found[int(entry.name)] = cmdline
    return found


def _pids(parent: int, command: str) -> list[int]:
    return [pid for pid, cmdline in _children(parent).items() if command in cmdline]


def _wait(check: Any, seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError("gave up waiting")


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.timeout(600)
def test_up_restarts_a_worker_that_dies(fresh_database: Any, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    env |= {
        "VELLARYS_DATABASE_URL": fresh_database(),
        "VELLARYS_DATA_DIR": str(tmp_path / "data"),
        "VELLARYS_PORT": str(port),
    }
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen([sys.executable, "-m", "vellarys", "up"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _healthy(base), 500)
        worker = _wait(lambda: _pids(up.pid, "-m vellarys worker"))[0]
        spare = _wait(lambda: _pids(up.pid, "standby worker"))[0]
        os.kill(worker, signal.SIGKILL)
        # The standby takes over (no cold start) and the next standby is started.
        _wait(lambda: [p for p in _pids(up.pid, "standby worker") if p != spare])
        assert spare in _children(up.pid) and not _pids(up.pid, "-m vellarys worker")
        assert up.poll() is None and _healthy(base)
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
        log.close()
    text = (tmp_path / "up.log").read_text(errors="replace")
    assert "worker exited with status -9" in text and "restarting worker" in text


def test_the_supervisor_starts_the_embedded_postgresql_again_when_it_dies(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    start_embedded(data_dir, keep_running=True)
    database = Database(
        running=lambda: embedded_running(data_dir), restart=lambda: restart_embedded(data_dir)
    )
    try:
        postmaster = int((pg_data_dir(data_dir) / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        _wait(lambda: not embedded_running(data_dir))
        _wait(lambda: watch_database(database) or embedded_running(data_dir))
        url = f"postgresql://postgres:@/postgres?host={pg_data_dir(data_dir)}"
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        if embedded_running(data_dir):
            _stop_postgres(data_dir)


def test_worker_slots_fit_the_connection_pool(tmp_path: Path) -> None:
    nowhere = f"postgresql://postgres:@/vellarys?host={tmp_path}"
    shipped = make_settings(nowhere, tmp_path)
    assert pipeline_slots(shipped) == shipped.worker_concurrency == 16  # 10 + 20 serve 16 + 8
    small = make_settings(nowhere, tmp_path, db_pool_size=5, db_max_overflow=10)
    assert pipeline_slots(small) == 15 - small.outbound_concurrency
