"""``vellarys portal secret``: an agency's portal lead-integration URL and a new secret."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services import portal_leads
from vellarys.services.accounts import tenant_by_slug

portal_app = typer.Typer(help="The portals' lead integration.", no_args_is_help=True)


@portal_app.command("secret")
def secret(
    tenant: Annotated[str, typer.Option("--tenant", help="Agency slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print the agency's portal URL and a new secret (the previous one stops working)."""
    settings = settings_from(data_dir)

    async def run() -> tuple[str, str]:
        async with command_container(settings) as container:
            async with unit_of_work(container.sessions) as session:
                agency = await tenant_by_slug(session, tenant)
                intake, made = await portal_leads.make_portal_secret(session, tenant_id=agency.id)
            return settings.base_url + portal_leads.portal_path(intake), made

    try:
        url, made = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    if as_json:
        typer.echo(json.dumps({"url": url, "secret": made}))
    else:
        typer.echo(f"URL: {url}\nSecret (Basic password, shown once): {made}")
