"""Operator commands as an operator runs them: production start-up (a real process), settings
errors and doctor (in-process, tests/cli_in_process.py)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import psycopg

from tests.cli_in_process import run_cli
from tests.test_cli import VELLARYS, _env, _free_port, _wait_for_health

SECRET = "0123456789abcdef0123456789abcdef-prod"


def _production_env(url: str, **extra: str) -> dict[str, str]:
    return _env(
        VELLARYS_ENVIRONMENT="production",
        VELLARYS_DATABASE_URL=url,
        VELLARYS_SECRET_KEY=SECRET,
        **extra,
    )


def test_up_in_production_starts_empty_and_says_how_to_create_the_first_admin(
    empty_database: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = _production_env(empty_database, VELLARYS_LOG_FORMAT="json")
    up = subprocess.Popen(
        [*VELLARYS, "up", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert _wait_for_health(f"http://127.0.0.1:{port}", up)["status"] == "ok"
        with psycopg.connect(empty_database) as conn:
            assert conn.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
    finally:
        up.send_signal(signal.SIGTERM)
        output = up.communicate(timeout=60)[0].decode()
    assert "vellarys tenant create" in output
    assert "vellarys user create" in output and "--role admin" in output
    assert "vellarys-demo" not in output
    # The doctor ran at start-up and its findings are in the (JSON) log.
    assert '"event": "doctor finished"' in output


def test_settings_errors_are_one_message_listing_every_problem(tmp_path: Path) -> None:
    env = _env(
        VELLARYS_ENVIRONMENT="production",
        VELLARYS_SECRET_KEY="x",
        VELLARYS_WORKER_CONCURRENCY="0",
        VELLARYS_DATA_DIR=str(tmp_path),
    )
    result = run_cli(env, "migrate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "3 problems" in result.stderr
    for name in ("VELLARYS_DATABASE_URL", "VELLARYS_SECRET_KEY", "VELLARYS_WORKER_CONCURRENCY"):
        assert name in result.stderr


def test_doctor_prints_one_line_per_check_and_fails_until_migrated(
    empty_database: str, tmp_path: Path
) -> None:
    env = _production_env(
        empty_database,
        VELLARYS_DATA_DIR=str(tmp_path),
        VELLARYS_PUBLIC_URL=f"https://127.0.0.1:{_free_port()}",
    )
    before = run_cli(env, "doctor")
    assert before.returncode == 1
    assert "FAIL  schema        not migrated: run vellarys migrate" in before.stdout
    assert run_cli(env, "migrate").returncode == 0
    after = run_cli(env, "doctor")
    assert after.returncode == 0, after.stdout
    names = [line[6:19].strip() for line in after.stdout.splitlines()]
    assert names == [
        "settings",
        "secret key",
        "postgresql",
        "connections",
        "privileges",
        "row security",
        "workers",
        "queue",
        "disk",
        "public url",
        "tls",
    ]
    assert "WARN  tls           127.0.0.1: unreachable" in after.stdout
    http_env = env | {"VELLARYS_PUBLIC_URL": "http://vellarys.example.com"}
    plain = run_cli(http_env, "doctor")
    assert plain.returncode == 1
    assert "FAIL  public url    http://vellarys.example.com: WhatsApp providers need https" in (
        plain.stdout
    )
