"""Alembic environment. URL and options come from ``vellarys.db.migrate``, never an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from vellarys.db import models  # noqa: F401  (registers the tables)
from vellarys.db.base import Base

config = context.config
url = config.attributes["url"]
work_mem = config.attributes.get("maintenance_work_mem", "512MB")

# Index builds on large tables take minutes: no statement timeout, generous memory.
engine = create_engine(
    url,
    poolclass=NullPool,
    connect_args={"options": f"-c statement_timeout=0 -c maintenance_work_mem={work_mem}"},
)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        transaction_per_migration=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
