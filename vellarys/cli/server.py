"""Commands that run Vellarys: up, api, worker, migrate, seed-demo, db-url, db-stop."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from typing import Annotated

import typer

from vellarys.bootstrap import build, resolve_database_url
from vellarys.cli.common import DataDir, settings_from
from vellarys.config import Settings
from vellarys.db import migrate as migrations
from vellarys.db.embedded import stop_embedded
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


async def _seed(settings: Settings, url: str, *, embed_now: bool) -> SeedResult:
    """Seed the demo; ``embed_now`` embeds it before returning instead of queueing the work."""
    container = build(settings, database_url=url)
    try:
        async with unit_of_work(container.sessions) as session:
            return await seed_demo(session, container.embedder if embed_now else None)
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
    # No worker may be running: the agency must answer as soon as the command returns.
    result = asyncio.run(_seed(settings, url, embed_now=True))
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
    from vellarys.worker.runner import run_worker

    settings = _settings(data_dir, worker_concurrency=concurrency)
    asyncio.run(run_worker(settings))


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
    # The worker started below embeds the demo in the background; the API serves at once.
    result = asyncio.run(_seed(settings, url, embed_now=False))
    metrics_dir = settings.data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # The API's /metrics then adds up the worker's counters too.
    env = os.environ | {"VELLARYS_DATABASE_URL": url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    exe = [sys.executable, "-m", "vellarys"]
    children = [
        subprocess.Popen([*exe, "api"], env=env),  # noqa: S603 - our own interpreter
        subprocess.Popen([*exe, "worker"], env=env),  # noqa: S603
    ]
    typer.echo(f"\nVellarys is running on {settings.base_url}")
    if result.tenant.slug == "demo":
        typer.echo(f"Demo login: {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}  (demo only)")
    typer.echo("Press Ctrl+C to stop.\n")
    _supervise(children)


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    """Wait for the children; stop all of them when one exits or we are asked to stop."""

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
