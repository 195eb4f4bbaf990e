"""``vellarys operator create``: a superadmin account for the console (/console)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services.operators import create_operator

operator_app = typer.Typer(help="Operators (superadmins) of the console.", no_args_is_help=True)


@operator_app.command("create")
def create(
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="VELLARYS_OPERATOR_PASSWORD",
            help="Password (at least 8 characters); asked when not given.",
        ),
    ],
    name: Annotated[str, typer.Option(help="Full name.")] = "",
    data_dir: DataDir = None,
) -> None:
    """Create an operator: signs in at /login like staff and lands on /console."""
    settings = settings_from(data_dir)

    async def run() -> None:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            await create_operator(session, email=email, name=name or email, password=password)

    try:
        asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"operator {email.strip().lower()} created")
