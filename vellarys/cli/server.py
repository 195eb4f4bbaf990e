"""Commands that run Vellarys: up, api, worker, migrate, seed-demo, db-url, db-stop."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from vellarys.cli.common import DataDir, fail, settings_from
from vellarys.cli.doctor import log_doctor
from vellarys.cli.supervise import Child, Database, supervise
from vellarys.config import Settings
from vellarys.db.embedded import embedded_running, restart_embedded, stop_embedded
from vellarys.db.url import libpq_url

if TYPE_CHECKING:
    from vellarys.services.demo import SeedResult

# Each command imports what it runs: the API and the worker (children of ``vellarys up``)
# never load Alembic or the demo's data, and ``db-stop`` loads neither the wiring nor a pool.

_settings = settings_from


def _migrate(settings: Settings, url: str) -> None:
    """Migrate as the owner role when one is configured (the runtime role has no DDL)."""
    from vellarys.db import migrate as migrations

    try:
        migrations.upgrade(
            settings.migration_database_url or url,
            embedding_dim=settings.embedding_dim,
            maintenance_work_mem=settings.migration_maintenance_work_mem,
            secret_key=settings.resolved_secret_key,
        )
    except migrations.MigrationBlocked as exc:
        raise fail(str(exc)) from None


async def _seed(settings: Settings, url: str, *, embed_now: bool) -> SeedResult:
    """Seed the demo; ``embed_now`` embeds it before returning instead of queueing the work."""
    from vellarys.bootstrap import build
    from vellarys.db.uow import unit_of_work
    from vellarys.services.demo import seed_demo

    container = build(settings, database_url=url)
    try:
        async with unit_of_work(container.sessions) as session:
            return await seed_demo(session, container.embedder if embed_now else None)
    finally:
        await container.aclose()


def migrate(data_dir: DataDir = None) -> None:
    """Migrate the database to the newest schema."""
    from vellarys.bootstrap import resolve_database_url
    from vellarys.db import migrate as migrations

    settings = _settings(data_dir)
    url = resolve_database_url(settings)
    _migrate(settings, url)
    typer.echo(f"migrated to {migrations.current_revision(settings.migration_database_url or url)}")


def seed_demo_command(data_dir: DataDir = None) -> None:
    """Create the demo agency (slug 'demo') when it does not exist yet."""
    from vellarys.bootstrap import resolve_database_url

    settings = _settings(data_dir)
    url = resolve_database_url(settings)
    # No worker may be running: the agency must answer as soon as the command returns.
    result = asyncio.run(_seed(settings, url, embed_now=True))
    state = "created" if result.created else "already present"
    typer.echo(f"demo agency {state}: {result.tenant.name}")


def db_url(data_dir: DataDir = None) -> None:
    """Print the libpq URL of the database, starting the embedded one if needed.

    Use it as: psql "$(vellarys db-url)"
    """
    from vellarys.bootstrap import resolve_database_url

    settings = _settings(data_dir)
    typer.echo(libpq_url(resolve_database_url(settings, keep_running=True)))


def db_stop(data_dir: DataDir = None) -> None:
    """Stop the embedded PostgreSQL of the data folder."""
    settings = _settings(data_dir)
    typer.echo("stopped" if stop_embedded(settings.data_dir) else "not running")


def api(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the API, webhooks and dashboard."""
    import uvicorn

    from vellarys.bootstrap import resolve_database_url
    from vellarys.telemetry.logs import configure_logging

    settings = _settings(data_dir, host=host, port=port)
    configure_logging(settings.log_level, log_format=settings.log_format)
    if _production(settings):
        log_doctor(settings, resolve_database_url(settings))
    uvicorn.run(
        "vellarys.asgi:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through our formatter (configure_logging)
        access_log=False,  # vellarys.telemetry.access logs every request instead
    )


def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Run the job worker (message processing, sending, summaries, maintenance)."""
    from vellarys.bootstrap import resolve_database_url
    from vellarys.telemetry.logs import configure_logging
    from vellarys.telemetry.metrics import serve_worker_metrics
    from vellarys.worker.runner import run_worker

    settings = _settings(data_dir, worker_concurrency=concurrency)
    configure_logging(settings.log_level, log_format=settings.log_format)
    if _production(settings):
        log_doctor(settings, resolve_database_url(settings))
    if settings.worker_metrics_port:
        serve_worker_metrics(settings.worker_metrics_port, host=settings.host)
    # Non-zero when it gave up on the database, so a supervisor restarts it.
    raise typer.Exit(asyncio.run(run_worker(settings)))


def up(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed the demo agency even in production.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Migrate, seed the demo agency (development only, or --demo), run the API and a worker."""
    from vellarys.bootstrap import resolve_database_url

    settings = _settings(data_dir, host=host, port=port)
    url = resolve_database_url(settings)
    _migrate(settings, url)
    # Production starts empty; its api and worker children run the doctor into the log.
    # A seeded demo is embedded in the background by the worker, so the API serves at once.
    seeded = (
        asyncio.run(_seed(settings, url, embed_now=False))
        if demo or not _production(settings)
        else None
    )
    metrics_dir = settings.data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # The API's /metrics then adds up the worker's counters too.
    env = os.environ | {"VELLARYS_DATABASE_URL": url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    exe = [sys.executable, "-m", "vellarys"]
    children = [
        Child(name, [*exe, name], env, standby_argv=_standby(settings, name))
        for name in ("api", "worker")
    ]
    typer.echo(f"\nVellarys is running on {settings.base_url}")
    typer.echo(_welcome(settings, seeded))
    typer.echo("Press Ctrl+C to stop.\n")
    supervise(children, _embedded_database(settings))


def _standby(settings: Settings, command: str) -> list[str] | None:
    """A warm standby's command line, so a restart does not wait for the imports."""
    if not settings.supervisor_standby:
        return None
    return [sys.executable, "-m", "vellarys.cli.standby", command]


def _production(settings: Settings) -> bool:
    return settings.environment == "production"


def _welcome(settings: Settings, seeded: SeedResult | None) -> str:
    """The demo login in development; in production, how to create the first agency and admin."""
    from vellarys.services.demo import DEMO_LOGIN

    if seeded is not None and not _production(settings):
        return f"Demo login: {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}  (demo only)"
    first = (
        "Create the first agency and its admin:\n"
        "  vellarys tenant create --slug minha-imobiliaria --name 'Minha Imobiliária'\n"
        "  vellarys user create --tenant minha-imobiliaria --email gestor@exemplo.com.br "
        "--role admin --password '...'"
    )
    if seeded is not None:
        return f"Demo agency seeded (its published login is refused in production).\n{first}"
    return f"Production: no demo agency.\n{first}"


def _embedded_database(settings: Settings) -> Database | None:
    if not settings.embedded:
        return None
    folder = settings.data_dir
    return Database(
        running=lambda: embedded_running(folder), restart=lambda: restart_embedded(folder)
    )
