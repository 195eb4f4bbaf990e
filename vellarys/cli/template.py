"""``vellarys channel template add|list|remove``: the approved WhatsApp templates of a channel."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.models import Tenant as Agency
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services import templates
from vellarys.services.accounts import tenant_by_slug

template_app = typer.Typer(
    help="Approved WhatsApp templates (Meta Cloud API).", no_args_is_help=True
)
Tenant = Annotated[str, typer.Option("--tenant", help="Agency slug.")]
ChannelId = Annotated[
    str | None, typer.Option("--channel", help="Channel id (default: the agency's Meta channel).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
T = TypeVar("T")


def _run(slug: str, data_dir: Any, work: Callable[[AsyncSession, Agency], Awaitable[T]]) -> T:
    settings = settings_from(data_dir)

    async def run() -> T:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            return await work(session, await tenant_by_slug(session, slug))

    try:
        return asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc


def _channel_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise fail("--channel must be a channel id (see `vellarys channel list`)") from None


@template_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Template name as approved by Meta.")],
    tenant: Tenant,
    purpose: Annotated[
        str,
        typer.Option(
            help=(
                "follow_up, reactivation, broker_notice, manager_alert, briefing, "
                "visit_reminder or first_contact."
            )
        ),
    ],
    language: Annotated[str, typer.Option(help="Template language code.")] = "pt_BR",
    variables: Annotated[
        str,
        typer.Option(help="Body variables in order, comma-separated (e.g. lead_name,interest)."),
    ] = "",
    channel: ChannelId = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Register an approved template so messages outside the 24-hour window can use it."""
    key = _channel_id(channel)

    async def work(session: AsyncSession, agency: Agency) -> dict[str, Any]:
        found, template = await templates.add_template(
            session,
            tenant_id=agency.id,
            channel_id=key,
            name=name,
            language=language,
            purpose=purpose,
            variables=variables.split(","),
        )
        return {"channel_id": str(found.id), **template.as_dict()}

    added = _run(tenant, data_dir, work)
    typer.echo(json.dumps(added) if as_json else f"Template {added['name']} added.")


@template_app.command("list")
def list_command(tenant: Tenant, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """List each channel's templates."""

    async def work(session: AsyncSession, agency: Agency) -> list[dict[str, Any]]:
        return [
            {"channel_id": str(c.id), "provider": c.provider, **t.as_dict()}
            for c, found in await templates.list_templates(session, agency.id)
            for t in found
        ]

    rows = _run(tenant, data_dir, work)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(
            f"{row['name']}\t{row['language']}\t{row['purpose']}\t{','.join(row['variables'])}"
        )


@template_app.command("remove")
def remove(name: str, tenant: Tenant, channel: ChannelId = None, data_dir: DataDir = None) -> None:
    """Forget a template (messages that needed it are skipped until another is added)."""
    key = _channel_id(channel)

    async def work(session: AsyncSession, agency: Agency) -> None:
        await templates.remove_template(session, tenant_id=agency.id, channel_id=key, name=name)

    _run(tenant, data_dir, work)
    typer.echo(f"Template {name} removed.")
