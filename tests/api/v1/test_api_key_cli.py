"""``vellarys api-key create|list|revoke`` as an operator runs them."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from vellarys.cli import app
from vellarys.db.url import libpq_url


def test_operator_creates_lists_and_revokes_a_key(
    api_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELLARYS_DATABASE_URL", api_database)
    monkeypatch.setenv("VELLARYS_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert runner.invoke(app, ["tenant", "create", "--slug", slug, "--name", "CLI"]).exit_code == 0

    created = runner.invoke(app, ["api-key", "create", "--tenant", slug, "--name", "CRM"])
    assert created.exit_code == 0, created.output
    plaintext = created.stdout.strip().splitlines()[0]
    assert plaintext.startswith("vk_")
    prefix = plaintext.split("_")[1]
    with psycopg.connect(libpq_url(api_database)) as conn:
        row = conn.execute("SELECT key_hash FROM api_keys WHERE prefix = %s", (prefix,)).fetchone()
    assert row == (hashlib.sha256(plaintext.encode()).hexdigest(),)

    listed = runner.invoke(app, ["api-key", "list", "--tenant", slug])
    assert f"{prefix}\tCRM" in listed.stdout and "active" in listed.stdout
    revoked = runner.invoke(app, ["api-key", "revoke", "--tenant", slug, prefix])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in runner.invoke(app, ["api-key", "list", "--tenant", slug]).stdout

    unknown = runner.invoke(app, ["api-key", "revoke", "--tenant", slug, "ffffffff"])
    assert unknown.exit_code == 1
    no_agency = runner.invoke(app, ["api-key", "create", "--tenant", "nope-x", "--name", "x"])
    assert no_agency.exit_code == 1
