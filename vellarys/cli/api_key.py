"""Operator commands for API keys: ``vellarys api-key create|revoke|list``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services import api_keys
from vellarys.services.accounts import tenant_by_slug

api_key_app = typer.Typer(help="REST API keys of an agency.", no_args_is_help=True)
Tenant = Annotated[str, typer.Option("--tenant", help="Agency slug.")]


@api_key_app.command("create")
def create(
    tenant: Tenant,
    name: Annotated[str, typer.Option(help="What the key is for, e.g. the CRM's name.")],
    data_dir: DataDir = None,
) -> None:
    """Create a key and print it. It is shown only this once."""

    async def run() -> str:
        settings = settings_from(data_dir)
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            _, plaintext = await api_keys.create_api_key(session, tenant_id=agency.id, name=name)
        return plaintext

    try:
        plaintext = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    typer.echo(plaintext)
    typer.secho("Store it now: it cannot be shown again.", err=True)


@api_key_app.command("revoke")
def revoke(
    tenant: Tenant,
    key: Annotated[str, typer.Argument(help="The key's prefix (as in `list`) or id.")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key; requests with it fail at once."""

    async def run() -> None:
        settings = settings_from(data_dir)
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            found = await api_keys.find_api_key(session, tenant_id=agency.id, reference=key)
            await api_keys.revoke_api_key(session, tenant_id=agency.id, key_id=found.id)

    try:
        asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"key {key} revoked")


@api_key_app.command("list")
def list_keys(tenant: Tenant, data_dir: DataDir = None) -> None:
    """List the agency's keys (prefix, name, created, last used, revoked)."""

    async def run() -> list[str]:
        settings = settings_from(data_dir)
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            keys = await api_keys.list_api_keys(session, tenant_id=agency.id)
            return [
                f"{k.prefix}\t{k.name}\t{k.created_at:%Y-%m-%d}\t"
                f"{k.last_used_at or '-'}\t{'revoked' if k.revoked_at else 'active'}"
                for k in keys
            ]

    try:
        lines = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    for line in lines:
        typer.echo(line)
