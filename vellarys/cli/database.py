"""``vellarys db bootstrap``: the one-time superuser setup of a least-privilege deployment."""

from __future__ import annotations

import secrets
from typing import Annotated

import psycopg
import typer
from sqlalchemy.engine import make_url

from vellarys.cli.common import fail
from vellarys.db.roles import Bootstrap, bootstrap_script, run_bootstrap
from vellarys.db.url import libpq_url

db_app = typer.Typer(help="Database setup (roles, extension, grants).", no_args_is_help=True)


@db_app.command("bootstrap")
def bootstrap(
    superuser_url: Annotated[
        str | None,
        typer.Option(help="A superuser's URL to the target database (created if missing)."),
    ] = None,
    database: Annotated[
        str | None, typer.Option(help="Target database (default: the URL's).")
    ] = None,
    owner: Annotated[
        str, typer.Option(help="Migration role (owns the schema).")
    ] = "vellarys_owner",
    runtime: Annotated[str, typer.Option(help="Role the API and workers log in as.")] = (
        "vellarys_runtime"
    ),
    owner_password: Annotated[str | None, typer.Option(help="Default: generated.")] = None,
    runtime_password: Annotated[str | None, typer.Option(help="Default: generated.")] = None,
    print_sql: Annotated[
        bool, typer.Option("--print-sql", help="Print the SQL instead of running it.")
    ] = False,
) -> None:
    """Create the migration and runtime roles, the vector extension and the grants (once)."""
    if superuser_url is None and not print_sql:
        raise fail("give --superuser-url, or --print-sql to get the SQL for psql")
    target = database or (make_url(superuser_url).database if superuser_url else None)
    plan = Bootstrap(
        database=target or "vellarys",
        owner=owner,
        runtime=runtime,
        owner_password=owner_password or secrets.token_urlsafe(24),
        runtime_password=runtime_password or secrets.token_urlsafe(24),
    )
    if print_sql:
        typer.echo(bootstrap_script(plan))
        return
    assert superuser_url is not None
    try:
        run_bootstrap(libpq_url(superuser_url), plan)
    except psycopg.Error as exc:
        raise fail(f"bootstrap failed: {str(exc).strip().splitlines()[0]}") from None
    typer.echo(_urls(superuser_url, plan))


def _urls(superuser_url: str, plan: Bootstrap) -> str:
    base = make_url(superuser_url).set(database=plan.database)

    def as_role(role: str, password: str) -> str:
        url = base.set(username=role, password=password, drivername="postgresql")
        return url.render_as_string(hide_password=False)

    return (
        f"Roles {plan.owner} (migrations) and {plan.runtime} (api, workers) are ready.\n"
        f"VELLARYS_MIGRATION_DATABASE_URL={as_role(plan.owner, plan.owner_password)}\n"
        f"VELLARYS_DATABASE_URL={as_role(plan.runtime, plan.runtime_password)}"
    )
