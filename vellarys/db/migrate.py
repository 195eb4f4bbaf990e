"""Run Alembic migrations programmatically against a URL (no alembic.ini involved)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from vellarys.db.roles import missing_privileges
from vellarys.db.url import libpq_url, sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationBlocked(Exception):
    """The connecting role lacks privileges the migrations need; nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            "Migration stopped before changing anything; the database role lacks:\n"
            f"{lines}\n"
            "A superuser grants these once: vellarys db bootstrap --superuser-url "
            "postgresql://postgres@HOST/DATABASE (or --print-sql to run it with psql)."
        )


def _config(
    url: str,
    *,
    embedding_dim: int = 384,
    maintenance_work_mem: str = "512MB",
    secret_key: str | None = None,
) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Passed as attributes: a %2F-encoded socket path would break ini interpolation.
    cfg.attributes["url"] = sync_url(url)
    cfg.attributes["embedding_dim"] = embedding_dim
    cfg.attributes["maintenance_work_mem"] = maintenance_work_mem
    # Data migrations that seal or open stored credentials need the deployment's key.
    cfg.attributes["secret_key"] = secret_key
    return cfg


def upgrade(
    url: str,
    revision: str = "head",
    *,
    embedding_dim: int = 384,
    maintenance_work_mem: str = "512MB",
    secret_key: str | None = None,
) -> None:
    """Migrate ``url``; ``MigrationBlocked`` before any change when a privilege is missing."""
    if revision == "head" and current_revision(url) == head_revision():
        return  # nothing to do, and the runtime role (no DDL) may run ``vellarys up``
    problems = missing_privileges(libpq_url(url))
    if problems:
        raise MigrationBlocked(problems)
    cfg = _config(
        url,
        embedding_dim=embedding_dim,
        maintenance_work_mem=maintenance_work_mem,
        secret_key=secret_key,
    )
    command.upgrade(cfg, revision)


def downgrade(url: str, revision: str, *, secret_key: str | None = None) -> None:
    command.downgrade(_config(url, secret_key=secret_key), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config("postgresql://")).get_current_head()


def current_revision(url: str) -> str | None:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
