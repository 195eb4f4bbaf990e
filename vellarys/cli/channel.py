"""``vellarys channel add|list``: connect an agency's WhatsApp number."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.models import Channel
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services.channel import add_channel, list_channels, webhook_path
from vellarys.services.simulator import tenant_by_slug

channel_app = typer.Typer(help="WhatsApp channels of an agency.", no_args_is_help=True)
Tenant = Annotated[str, typer.Option("--tenant", help="Agency slug.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _describe(channel: Channel, base_url: str) -> dict[str, Any]:
    return {
        "id": str(channel.id),
        "provider": channel.provider,
        "identity": channel.identity,
        "name": channel.name,
        "webhook_url": base_url + webhook_path(channel),
        "verify_token": channel.verify_token,
        "active": channel.active,
    }


def _add(
    tenant: str,
    provider: str,
    identity: str,
    credentials: dict[str, str],
    *,
    app_secret: str | None,
    verify_token: str | None,
    as_json: bool,
    data_dir: Any,
) -> None:
    settings = settings_from(data_dir)

    async def run() -> dict[str, Any]:
        async with command_container(settings) as container:
            async with unit_of_work(container.sessions) as session:
                agency = await tenant_by_slug(session, tenant)
                channel = await add_channel(
                    session,
                    tenant_id=agency.id,
                    provider=provider,
                    identity=identity,
                    credentials=credentials,
                    app_secret=app_secret,
                    verify_token=verify_token,
                )
            return _describe(channel, settings.base_url)

    try:
        described = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    if as_json:
        typer.echo(json.dumps(described))
        return
    typer.echo(f"{described['name']} channel added to {tenant}.")
    typer.echo(f"Webhook URL:  {described['webhook_url']}")
    if described["verify_token"]:
        typer.echo(f"Verify token: {described['verify_token']}")


@channel_app.command("add")
def add(
    provider: Annotated[str, typer.Argument(help="meta, zapi or evolution.")],
    tenant: Tenant,
    phone_number_id: Annotated[str | None, typer.Option(help="Meta: phone number id.")] = None,
    access_token: Annotated[str | None, typer.Option(help="Meta: access token.")] = None,
    app_secret: Annotated[str | None, typer.Option(help="Meta: app secret (signatures).")] = None,
    verify_token: Annotated[
        str | None, typer.Option(help="Meta: verify token (generated).")
    ] = None,
    instance: Annotated[
        str | None, typer.Option(help="Z-API instance id / Evolution instance.")
    ] = None,
    token: Annotated[str | None, typer.Option(help="Z-API: instance token.")] = None,
    client_token: Annotated[str | None, typer.Option(help="Z-API: account security token.")] = None,
    api_key: Annotated[str | None, typer.Option(help="Evolution: instance API key.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Z-API / Evolution: API base URL.")] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Add a Meta, Z-API or Evolution channel and print its webhook URL and verify token."""
    if provider == "meta":
        identity, creds = phone_number_id, {"access_token": access_token or ""}
    elif provider == "zapi":
        identity = instance
        creds = {
            "token": token or "",
            "client_token": client_token or "",
            "base_url": base_url or "",
        }
    elif provider == "evolution":
        identity, creds = instance, {"api_key": api_key or "", "base_url": base_url or ""}
    else:
        raise fail("provider must be meta, zapi or evolution")
    if not identity:
        raise fail("--phone-number-id (meta) or --instance (zapi, evolution) is required")
    _add(
        tenant,
        provider,
        identity,
        creds,
        app_secret=app_secret,
        verify_token=verify_token,
        as_json=as_json,
        data_dir=data_dir,
    )


@channel_app.command("list")
def list_command(tenant: Tenant, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """List an agency's channels with their webhook URLs."""
    settings = settings_from(data_dir)

    async def run() -> list[dict[str, Any]]:
        async with command_container(settings) as container:
            async with unit_of_work(container.sessions) as session:
                agency = await tenant_by_slug(session, tenant)
                channels = await list_channels(session, agency.id)
            return [_describe(c, settings.base_url) for c in channels]

    try:
        rows = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(f"{row['provider']:<10} {row['identity']:<28} {row['webhook_url']}")
