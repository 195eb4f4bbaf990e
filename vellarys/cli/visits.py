"""``vellarys visits list``: an agency's visits (or one lead's)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Annotated, Any

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services import visit_calendar
from vellarys.services.accounts import tenant_by_slug

visits_app = typer.Typer(help="Visits to listings.", no_args_is_help=True)


@visits_app.command("list")
def list_visits(
    tenant: Annotated[str, typer.Option("--tenant", help="Agency slug.")],
    lead: Annotated[
        str | None, typer.Option("--lead", help="Only this lead's visits (id).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print the agency's visits by start time: id, lead, listing, broker, start, status."""
    try:
        lead_id = uuid.UUID(lead) if lead else None
    except ValueError:
        raise fail("--lead must be a lead id (UUID)") from None
    settings = settings_from(data_dir)

    async def run() -> list[dict[str, Any]]:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            rows = await visit_calendar.list_visits(session, tenant_id=agency.id, lead_id=lead_id)
            return [row.as_json() for row in rows]

    try:
        items = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    if not items:
        typer.echo("No visits.")
    for item in items:
        typer.echo(
            f"{item['starts_at']}  {item['status']:<10}  {item['property_code']:<10}  "
            f"{item['broker'] or '-'}  lead {item['lead_id']}  ({item['id']})"
        )
