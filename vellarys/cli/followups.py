"""``vellarys followups preview``: what follow-ups and reactivations would go out, unsent."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services import followups
from vellarys.services.accounts import tenant_by_slug

followups_app = typer.Typer(help="Follow-ups and reactivations.", no_args_is_help=True)


@followups_app.command("preview")
def preview(
    tenant: Annotated[str, typer.Option("--tenant", help="Agency slug.")],
    at: Annotated[
        str, typer.Option("--at", help="ISO-8601 moment; without an offset, the agency's zone.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print what would be sent at ``--at``, without sending anything."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise fail("--at must be an ISO-8601 date and time, e.g. 2026-12-01T10:00") from None
    settings = settings_from(data_dir)

    async def run() -> list[dict[str, Any]]:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            return await followups.preview(session, tenant=agency, at=moment)

    try:
        items = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    if not items:
        typer.echo("Nothing would be sent at that moment.")
    for item in items:
        typer.echo(f"{item['send_at']}  {item['phone']}  {item['kind']} #{item['step']}")
        typer.echo("  " + item["text"].replace("\n", "\n  "))
