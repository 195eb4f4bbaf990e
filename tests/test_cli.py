"""The command line as a user runs it, on a real PostgreSQL.

The entry point itself (``vellarys up``, ``migrate`` + ``seed-demo``, a standby) runs as real
processes; the other commands run in-process (tests/cli_in_process.py), the same app without
a Python start-up each."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from PIL import Image, ImageDraw, ImageFont

from tests.cli_in_process import run_cli
from vellarys.db import migrate
from vellarys.db.url import libpq_url

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
            indexing = _indexing_state(conn)
        assert slug == ("demo",)
        assert "ix_messages_lead_created_role" in indexes
        # The demo's vectors ship with it: embedded before the API serves, no minute of the
        # worker's CPU (vellarys.services.demo_vectors).
        assert indexing == ([("ready",)], (0,))
    finally:
        up.send_signal(signal.SIGTERM)
        output = up.communicate(timeout=60)[0].decode()
    assert "http://127.0.0.1:" in output
    assert "admin@demo.local / vellarys-demo" in output
    subprocess.run([*VELLARYS, "db-stop", "--data-dir", str(data_dir)], env=_env(), check=True)
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_a_standby_runs_its_command_only_when_told_to() -> None:
    standby = [sys.executable, "-m", "vellarys.cli.standby", "doctor", "--help"]
    pipe = subprocess.PIPE
    told = subprocess.Popen(standby, env=_env(), stdin=pipe, stdout=pipe, stderr=pipe)
    out, err = told.communicate(b"run\n", timeout=300)
    assert told.returncode == 0 and "standby for doctor ready" in err.decode()
    assert "Usage:" in out.decode() and "doctor" in out.decode()
    # The supervisor went away before handing over: nothing runs.
    idle = subprocess.Popen(standby, env=_env(), stdin=pipe, stdout=pipe, stderr=pipe)
    out, err = idle.communicate(b"", timeout=300)
    assert idle.returncode == 0 and out == b"" and "ready" in err.decode()


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
    with psycopg.connect(empty_database) as conn:
        assert _indexing_state(conn) == ([("ready",)], (0,))
    again = subprocess.run(
        [*VELLARYS, "seed-demo"], env=env, capture_output=True, text=True, check=True
    )
    assert "already present" in again.stdout
    printed = subprocess.run(
        [*VELLARYS, "db-url"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    with psycopg.connect(printed) as conn:
        assert conn.execute("SELECT count(*) FROM properties").fetchone()[0] > 50


def _ok(env: dict[str, str], *args: str) -> str:
    """``vellarys ARGS`` in-process (tests/cli_in_process.py); its stdout, after exit code 0."""
    done = run_cli(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_channel_add_prints_one_json_object_with_the_webhook_url(empty_database: str) -> None:
    env = _env(
        VELLARYS_DATABASE_URL=empty_database, VELLARYS_PUBLIC_URL="https://vellarys.example.com"
    )
    _ok(env, "migrate")
    _ok(env, "tenant", "create", "--slug", "casa-nova", "--name", "Casa Nova")
    added = _ok(
        env,
        *("channel", "add", "meta", "--tenant", "casa-nova", "--phone-number-id", "1098"),
        *("--access-token", "EAAG-test", "--app-secret", "s3cret", "--json"),
    )
    channel = json.loads(added)
    assert channel["provider"] == "meta"
    assert channel["webhook_url"].startswith("https://vellarys.example.com/webhooks/meta/")
    assert channel["verify_token"] and channel["id"]
    listed = _ok(env, "channel", "list", "--tenant", "casa-nova", "--json")
    assert [c["id"] for c in json.loads(listed)] == [channel["id"]]
    refused = run_cli(
        env, "channel", "add", "meta", "--tenant", "casa-nova", "--phone-number-id", "1099"
    )
    assert refused.returncode == 1 and "access_token" in refused.stderr


def _indexing_state(conn: psycopg.Connection) -> tuple[list[tuple[str]], tuple[int] | None]:
    """The knowledge documents' statuses and the count of listings with no embedding."""
    statuses = conn.execute("SELECT DISTINCT status FROM knowledge_documents").fetchall()
    unembedded = conn.execute(
        "SELECT count(*) FROM properties p WHERE NOT EXISTS"
        " (SELECT 1 FROM property_embeddings e WHERE e.property_id = p.id)"
    ).fetchone()
    return statuses, unembedded


def test_seed_demo_leaves_an_agency_that_chat_answers_with_no_worker(demo_database: str) -> None:
    # The demo as `seed-demo` leaves it, cloned (test_migrate_and_seed_demo_work_on_an_external_
    # database runs the command itself and checks the same state).
    env = _env(VELLARYS_DATABASE_URL=demo_database)
    with psycopg.connect(libpq_url(demo_database)) as conn:
        statuses, unembedded = _indexing_state(conn)
    assert statuses == [("ready",)]
    # Everything is embedded already; an indexing job the import queued finds nothing to do.
    assert unembedded == (0,)
    chat = ["chat", "--tenant", "demo", "--phone", "+5511955554444", "--json"]
    first = json.loads(_ok(env, *chat, "Oi, quero alugar um apartamento em Pinheiros"))
    assert first["replies"]
    assert first["lead"]["profile"]["intent"] == "rent"
    assert first["lead"]["profile"]["neighborhoods"] == ["Pinheiros"]
    second = json.loads(_ok(env, *chat, "até 5 mil por mês, 2 quartos"))
    assert second["lead"]["profile"]["budget_max"] == 5000
    assert second["lead"]["stage"] in ("qualifying", "qualified", "handed_off")
    assert {"stage", "temperature", "score", "profile"} <= set(second["lead"])
    asked = json.loads(
        _ok(env, *chat[:-2], "+5511955553333", "--json", "vcs aceitam FGTS na compra?")
    )
    said = "\n".join(asked["replies"])
    assert "FGTS" in said and "Vou confirmar essa informação" not in said


def test_chat_takes_a_picture_and_answers_with_the_listing_it_shows(
    demo_database: str, tmp_path: Path
) -> None:
    env = _env(VELLARYS_DATABASE_URL=demo_database)
    picture = tmp_path / "anuncio.png"
    image = Image.new("RGB", (640, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (20, 80), "Código do anúncio: AP1102", fill="black", font=ImageFont.load_default(size=32)
    )
    image.save(picture)
    done = _ok(
        env,
        *("chat", "--tenant", "demo", "--phone", "+5511955553333", "--json"),
        *("--image", str(picture), "--caption", "gostei desse"),
    )
    replies = json.loads(done)["replies"]
    assert replies[0] == "Esse aqui é o *AP1102* ✔"
    assert any("AP1102" in reply for reply in replies[1:])
