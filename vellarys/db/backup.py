"""Backups with pg_dump: a custom-format dump plus a small manifest beside it.

The dumping role must bypass row-level security (the runtime role from ``vellarys db bootstrap``
does; a plain read-only role gets "query would be affected by row-level security policy").
The secret key is deliberately NOT in the dump: whoever holds both can open the sealed channel
credentials. The manifest records the key's fingerprint so a restore can check it has the right one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

_FACTS_SQL = """
SELECT current_setting('server_version') AS server_version,
       (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
       (SELECT version_num FROM alembic_version LIMIT 1) AS revision,
       (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypass,
       current_user AS role
"""


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Manifest:
    created_at: str
    dump: str
    server_version: str
    pgvector: str | None
    revision: str | None
    secret_key_sha256: str


def secret_fingerprint(secret_key: str) -> str:
    return hashlib.sha256(secret_key.encode()).hexdigest()[:16]


def find_pg_dump(explicit: str | None, bundled: Path | None) -> str:
    """``--pg-dump``, else the embedded server's own, else the one on PATH."""
    for candidate in (explicit, str(bundled) if bundled else None, shutil.which("pg_dump")):
        if candidate and Path(candidate).exists():
            return candidate
    raise BackupError("pg_dump not found: apt install postgresql-client-16 (or give --pg-dump)")


def make_backup(url: str, folder: Path, *, pg_dump: str, secret_key: str) -> Manifest:
    """Dump ``url`` into ``folder`` (custom format, for pg_restore) and write its manifest."""
    with psycopg.connect(url) as conn:
        facts = conn.execute(_FACTS_SQL).fetchone()
    assert facts is not None
    server_version, pgvector, revision, bypass, role = facts
    if not bypass:
        raise BackupError(
            f"the role {role} is subject to row-level security, so pg_dump would fail: back up "
            "with the runtime role (BYPASSRLS) or a superuser"
        )
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump = folder / f"vellarys-{stamp}.dump"
    done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [pg_dump, "--format=custom", "--compress=6", f"--file={dump}", f"--dbname={url}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        dump.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    manifest = Manifest(
        created_at=stamp,
        dump=dump.name,
        server_version=str(server_version),
        pgvector=pgvector,
        revision=revision,
        secret_key_sha256=secret_fingerprint(secret_key),
    )
    dump.with_suffix(".json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest
