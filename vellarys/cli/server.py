"""Commands that run Vellarys: up, api, worker, migrate, seed-demo, db-url, db-stop."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from typing import Annotated

import typer

from vellarys.bootstrap import build, resolve_database_url
from vellarys.cli.common import DataDir, settings_from
from vellarys.cli.supervise import Child, Database, supervise
from vellarys.config import Settings
from vellarys.db import migrate as migrations
from vellarys.db.embedded import embedded_running, restart_embedded, stop_embedded
from vellarys.db.uow import unit_of_work
from vellarys.db.url import libpq_url
from vellarys.services.demo import DEMO_LOGIN, SeedResult, seed_demo

app = typer.Typer(
    help="Vellarys: the AI sales assistant for real-estate agencies.", no_args_is_help=True
)

_settings = settings_from


def _migrate(settings: Settings, url: str) -> None:
    migrations.upgrade(
        url,
        embedding_dim=settings.embedding_dim,
        maintenance_work_mem=settings.migration_maintenance_work_mem,
    )


async def _seed(settings: Settings, url: str) -> SeedResult:
    container = build(settings, database_url=url)
    try:
        async with unit_of_work(container.sessions) as session:
            return await seed_demo(session)
    finally:
        await container.aclose()


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Migrate the database to the newest schema."""
    settings = _settings(data_dir)
    url = resolve_database_url(settings)
    _migrate(settings, url)
    typer.echo(f"migrated to {migrations.current_revision(url)}")


@app.command("seed-demo")
def seed_demo_command(data_dir: DataDir = None) -> None:
    """Create the demo agency (slug 'demo') when it does not exist yet."""
    settings = _settings(data_dir)
    url = resolve_database_url(settings)
    result = asyncio.run(_seed(settings, url))
    state = "created" if result.created else "already present"
    typer.echo(f"demo agency {state}: {result.tenant.name}")


@app.command("db-url")
def db_url(data_dir: DataDir = None) -> None:
    """Print the libpq URL of the database, starting the embedded one if needed.

    Use it as: psql "$(vellarys db-url)"
    """
    settings = _settings(data_dir)
    typer.echo(libpq_url(resolve_database_url(settings, keep_running=True)))


@app.command("db-stop")
def db_stop(data_dir: DataDir = None) -> None:
    """Stop the embedded PostgreSQL of the data folder."""
    settings = _settings(data_dir)
    typer.echo("stopped" if stop_embedded(settings.data_dir) else "not running")


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the API, webhooks and dashboard."""
    import uvicorn

    settings = _settings(data_dir, host=host, port=port)
    uvicorn.run(
        "vellarys.asgi:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Run the job worker (message processing, sending, summaries, maintenance)."""
    from vellarys.telemetry.logs import configure_logging
    from vellarys.worker.runner import run_worker

    settings = _settings(data_dir, worker_concurrency=concurrency)
    configure_logging(settings.log_level)
    # Non-zero when it gave up on the database, so a supervisor restarts it.
    raise typer.Exit(asyncio.run(run_worker(settings)))


@app.command()
def up(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Migrate, seed the demo agency if the database is empty, and run the API and a worker."""
    settings = _settings(data_dir, host=host, port=port)
    url = resolve_database_url(settings)
    _migrate(settings, url)
    result = asyncio.run(_seed(settings, url))
    metrics_dir = settings.data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # The API's /metrics then adds up the worker's counters too.
    env = os.environ | {"VELLARYS_DATABASE_URL": url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    exe = [sys.executable, "-m", "vellarys"]
    children = [Child("api", [*exe, "api"], env), Child("worker", [*exe, "worker"], env)]
    typer.echo(f"\nVellarys is running on {settings.base_url}")
    if result.tenant.slug == "demo":
        typer.echo(f"Demo login: {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}  (demo only)")
    typer.echo("Press Ctrl+C to stop.\n")
    supervise(children, _embedded_database(settings))


def _embedded_database(settings: Settings) -> Database | None:
    if not settings.embedded:
        return None
    folder = settings.data_dir
    return Database(
        running=lambda: embedded_running(folder), restart=lambda: restart_embedded(folder)
    )
