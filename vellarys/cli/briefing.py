"""``vellarys briefing preview``: the manager's morning briefing, printed, not sent."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.domain.briefing import as_dict
from vellarys.domain.clock import SystemClock
from vellarys.errors import VellarysError
from vellarys.services import briefing
from vellarys.services.accounts import tenant_by_slug

briefing_app = typer.Typer(help="The manager's morning briefing.", no_args_is_help=True)


@briefing_app.command("preview")
def preview(
    tenant: Annotated[str, typer.Option("--tenant", help="Agency slug.")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="ISO-8601 moment (default: now); yesterday is its eve."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print the briefing the agency's managers would get, without sending it."""
    try:
        moment = datetime.fromisoformat(at) if at else SystemClock().now()
    except ValueError:
        raise fail("--at must be an ISO-8601 date and time, e.g. 2026-12-01T08:00-03:00") from None
    if moment.tzinfo is None:
        raise fail("--at needs a UTC offset, e.g. 2026-12-01T08:00-03:00")
    settings = settings_from(data_dir)

    async def run() -> dict[str, Any]:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            return as_dict(await briefing.build(session, agency, now=moment))

    try:
        shown = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    typer.echo(json.dumps(shown, ensure_ascii=False) if as_json else shown["text"])
