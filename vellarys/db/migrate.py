"""Run Alembic migrations programmatically against a URL (no alembic.ini involved)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from vellarys.db.url import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


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
