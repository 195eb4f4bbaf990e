"""The embedded PostgreSQL (pgserver: PostgreSQL 16 + pgvector) used when no URL is configured.

One server per data folder, shared by every process of that folder: pgserver keeps a
list of the processes holding it and, in ``stop`` mode, stops PostgreSQL when the last
one exits. ``keep_running=True`` leaves it up for commands such as ``vellarys db-url``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DATABASE_NAME = "vellarys"


def pg_data_dir(data_dir: Path) -> Path:
    return data_dir.resolve() / "pg"


def start_embedded(data_dir: Path, *, keep_running: bool = False) -> str:
    """Start (or join) the embedded server of ``data_dir``; return the libpq URL of our database."""
    import pgserver  # imported late: it is heavy and unused with an external database

    folder = pg_data_dir(data_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    server: Any = pgserver.get_server(folder, cleanup_mode=None if keep_running else "stop")
    _HANDLES.append(server)
    ensure_database(str(server.get_uri()), DATABASE_NAME)
    return str(server.get_uri(DATABASE_NAME))


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server of ``data_dir`` if it runs; True when one was stopped."""
    import pgserver

    folder = pg_data_dir(data_dir)
    if not (folder / "postmaster.pid").exists():
        return False
    server: Any = pgserver.get_server(folder, cleanup_mode="stop")
    server.cleanup()
    return True


def bundled_binary(name: str) -> Path | None:
    """A client program (pg_dump, pg_restore) of the embedded PostgreSQL, if installed."""
    try:
        import pgserver
    except ImportError:
        return None
    path = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    return path if path.exists() else None


def embedded_running(data_dir: Path) -> bool:
    """True when the embedded PostgreSQL of ``data_dir`` is up (its postmaster is alive)."""
    try:
        pid = int((pg_data_dir(data_dir) / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def restart_embedded(data_dir: Path) -> None:
    """Start the embedded PostgreSQL of ``data_dir`` again after it died (same socket, same
    URL), through the handle this process already holds."""
    import pgserver
    from pgserver.utils import ensure_prefix_permissions

    server: Any = pgserver.get_server(pg_data_dir(data_dir))
    with server._lock:
        if server.system_user is not None:
            # Run as root, PostgreSQL runs as its own user, which must still reach the folder
            # (something may have closed a parent folder since the first start).
            ensure_prefix_permissions(server.pgdata)
        server.ensure_postgres_running()


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` (with pgvector) when it does not exist yet."""
    import psycopg  # only a process that starts the embedded server needs it
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# Keep a reference so the handle lives as long as the process that opened it.
_HANDLES: list[Any] = []
