"""The command line as a user runs it: real processes, real embedded PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from vellarys.db import migrate

VELLARYS = [sys.executable, "-m", "vellarys"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    return env | extra


def _wait_for_health(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "vellarys up exited early"
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("no healthy /health in time")


def test_up_serves_health_seeds_the_demo_and_stops_cleanly(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", _free_port()
    up = subprocess.Popen(
        [*VELLARYS, "up", "--port", str(port), "--data-dir", str(data_dir)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}", up)
        assert health["status"] == "ok"

        url = subprocess.run(
            [*VELLARYS, "db-url", "--data-dir", str(data_dir)],
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        with psycopg.connect(url) as conn:
            slug = conn.execute("SELECT slug FROM tenants").fetchone()
            indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes").fetchall()}
        assert slug == ("demo",)
        assert "ix_messages_lead_created_role" in indexes
    finally:
        up.send_signal(signal.SIGTERM)
        output = up.communicate(timeout=60)[0].decode()
    assert "http://127.0.0.1:" in output
    assert "admin@demo.local / vellarys-demo" in output
    subprocess.run([*VELLARYS, "db-stop", "--data-dir", str(data_dir)], env=_env(), check=True)
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_migrate_and_seed_demo_work_on_an_external_database(empty_database: str) -> None:
    env = _env(VELLARYS_DATABASE_URL=empty_database)
    migrated = subprocess.run(
        [*VELLARYS, "migrate"], env=env, capture_output=True, text=True, check=True
    )
    assert f"migrated to {migrate.head_revision()}" in migrated.stdout
    seeded = subprocess.run(
        [*VELLARYS, "seed-demo"], env=env, capture_output=True, text=True, check=True
    )
    assert "created" in seeded.stdout
    again = subprocess.run(
        [*VELLARYS, "seed-demo"], env=env, capture_output=True, text=True, check=True
    )
    assert "already present" in again.stdout
    printed = subprocess.run(
        [*VELLARYS, "db-url"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    with psycopg.connect(printed) as conn:
        assert conn.execute("SELECT count(*) FROM properties").fetchone()[0] > 50
