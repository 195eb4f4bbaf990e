"""Backups as the operator makes and restores them: pg_dump through row-level security, a
manifest with the key's fingerprint (never the key), and a restore on a database whose
extension a superuser created first."""

from __future__ import annotations

import hashlib
import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.cli_in_process import run_cli
from tests.conftest import create_database, drop_database
from tests.test_cli import _env
from vellarys.db import migrate
from vellarys.db.backup import BackupError, make_backup
from vellarys.db.embedded import bundled_binary

SECRET = "backup-test-secret-of-at-least-32-bytes"


def test_backup_then_restore_keeps_the_rows_and_the_row_security(
    pg_server: str, fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    url = fresh_database()
    with psycopg.connect(url) as conn:
        tenant = conn.execute(
            "INSERT INTO tenants (id, slug, name, settings) VALUES (%s, 'casa-bkp', 'Casa', '{}') "
            "RETURNING id",
            (uuid.uuid4(),),
        ).fetchone()
        assert tenant is not None
        conn.execute(
            "INSERT INTO leads (id, tenant_id, phone) VALUES (%s, %s, '+5511988887777')",
            (uuid.uuid4(), tenant[0]),
        )
    env = _env(VELLARYS_DATABASE_URL=url, VELLARYS_SECRET_KEY=SECRET)
    pg_dump, pg_restore = bundled_binary("pg_dump"), bundled_binary("pg_restore")
    assert pg_dump and pg_restore
    done = run_cli(env, "backup", "--output", str(tmp_path), "--pg-dump", str(pg_dump))
    assert done.returncode == 0, done.stderr
    assert "The secret key is not in it" in done.stdout
    manifest = json.loads(next(tmp_path.glob("vellarys-*.json")).read_text())
    assert manifest["secret_key_sha256"] == hashlib.sha256(SECRET.encode()).hexdigest()[:16]
    assert manifest["revision"] == migrate.head_revision()
    dump = tmp_path / manifest["dump"]
    assert SECRET.encode() not in dump.read_bytes()

    restored = create_database(pg_server, f"vellarys_r_{uuid.uuid4().hex[:8]}")
    try:
        with psycopg.connect(restored, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION vector")  # the superuser's step, as documented
        subprocess.run(
            [str(pg_restore), "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
            capture_output=True,
            text=True,
            check=True,
        )
        with psycopg.connect(restored) as conn:
            leads = conn.execute("SELECT count(*) FROM leads").fetchone()
            forced = conn.execute(
                "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'leads'"
            ).fetchone()
        assert leads == (1,) and forced == (True,)
        assert migrate.current_revision(restored) == migrate.head_revision()
    finally:
        drop_database(pg_server, str(make_url(restored).database))


def test_a_role_under_row_level_security_is_told_why_it_cannot_back_up(
    pg_server: str, fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    url = fresh_database()
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.Identifier(role)
            )
        )
    try:
        reader = make_url(url).set(username=role).render_as_string(hide_password=False)
        with pytest.raises(BackupError, match="row-level security"):
            make_backup(reader, tmp_path, pg_dump="pg_dump", secret_key=SECRET)
        assert list(tmp_path.iterdir()) == []
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
