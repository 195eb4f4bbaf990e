"""The procrastinate app: the same queue for the API (to enqueue) and the worker (to run)."""

from __future__ import annotations

import procrastinate

from vellarys.db.url import libpq_url
from vellarys.worker.tasks import make_blueprint


def make_queue(
    database_url: str, *, application_name: str = "vellarys_worker"
) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url),
        kwargs={"application_name": application_name},
        min_size=1,
        max_size=4,
    )
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(make_blueprint(), namespace="vellarys")
    return app
