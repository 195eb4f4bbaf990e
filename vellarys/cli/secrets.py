"""``vellarys secrets rotate``: move every stored secret to a new ``VELLARYS_SECRET_KEY``."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.services.sealing import Rotation, rotate_secrets

secrets_app = typer.Typer(help="Secrets stored sealed in the database.", no_args_is_help=True)


@secrets_app.command("rotate")
def rotate(
    old_key: Annotated[
        str | None,
        typer.Option(
            help="The previous secret key (or env VELLARYS_OLD_SECRET_KEY, which keeps it "
            "out of the shell history)."
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Re-seal channel credentials and agency LLM keys from the old key to the current one.

    Set the new VELLARYS_SECRET_KEY first, then run this once; dashboard sessions signed
    with the old key end (everyone signs in again).
    """
    previous = old_key or os.environ.get("VELLARYS_OLD_SECRET_KEY")
    if not previous:
        raise fail("give the previous key: --old-key or VELLARYS_OLD_SECRET_KEY")
    settings = settings_from(data_dir)
    current = settings.resolved_secret_key
    if previous == current:
        raise fail("the old key is the current VELLARYS_SECRET_KEY: set the new key first")

    async def run() -> Rotation:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            return await rotate_secrets(session, old_key=previous, new_key=current)

    report = asyncio.run(run())
    typer.echo(
        f"{report.resealed} secrets re-sealed, {report.already} already under the new key, "
        f"{report.unreadable} unreadable with either key."
    )
    if report.unreadable:
        raise typer.Exit(code=1)
