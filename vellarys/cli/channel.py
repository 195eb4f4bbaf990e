"""``vellarys channel add|list``: connect an agency's WhatsApp number."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from vellarys.adapters.whatsapp import CONNECTABLE, REGISTRY, ProviderSpec
from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.cli.template import template_app
from vellarys.db.models import Channel
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services.accounts import tenant_by_slug
from vellarys.services.channel import add_channel, list_channels, webhook_path

channel_app = typer.Typer(help="WhatsApp channels of an agency.", no_args_is_help=True)
channel_app.add_typer(template_app, name="template")
Tenant = Annotated[str, typer.Option("--tenant", help="Agency slug.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
# Each credential option's help, from the providers that declare it.
_HELP: dict[str, str] = {}
for _spec in REGISTRY.values():
    for _field in _spec.fields:
        _HELP[_field.key] = " ".join(filter(None, (_HELP.get(_field.key), _field.help)))


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
                    secret_key=settings.resolved_secret_key,
                    allow_private_urls=settings.private_urls_allowed,
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


def _credentials(spec: ProviderSpec, given: dict[str, str | None]) -> dict[str, str]:
    """The provider's declared credentials from the options; an option it does not
    declare is an error rather than silently dropped."""
    declared = {f.key for f in spec.fields}
    foreign = [key for key, value in given.items() if value and key not in declared]
    if foreign:
        options = ", ".join("--" + key.replace("_", "-") for key in foreign)
        raise fail(f"{options}: not a {spec.name} credential")
    return {key: value for key, value in given.items() if value and key in declared}


def _identity(spec: ProviderSpec, phone_number_id: str | None, instance: str | None) -> str:
    identity = {"--phone-number-id": phone_number_id, "--instance": instance}.get(
        spec.identity_option
    )
    if not identity:
        raise fail(f"{spec.identity_option} ({spec.name}: {spec.identity_label}) is required")
    return identity


@channel_app.command("add")
def add(
    provider: Annotated[str, typer.Argument(help=" | ".join(CONNECTABLE) + ".")],
    tenant: Tenant,
    phone_number_id: Annotated[str | None, typer.Option(help="Meta: phone number id.")] = None,
    instance: Annotated[
        str | None, typer.Option(help="Z-API instance id / Evolution instance.")
    ] = None,
    verify_token: Annotated[
        str | None, typer.Option(help="Meta: verify token (generated).")
    ] = None,
    access_token: Annotated[str | None, typer.Option(help=_HELP["access_token"])] = None,
    app_secret: Annotated[str | None, typer.Option(help=_HELP["app_secret"])] = None,
    token: Annotated[str | None, typer.Option(help=_HELP["token"])] = None,
    client_token: Annotated[str | None, typer.Option(help=_HELP["client_token"])] = None,
    api_key: Annotated[str | None, typer.Option(help=_HELP["api_key"])] = None,
    base_url: Annotated[str | None, typer.Option(help=_HELP["base_url"])] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Add a WhatsApp channel and print its webhook URL (and Meta's verify token).

    Each provider's credentials are the fields its adapter declares in the registry."""
    spec = REGISTRY.get(provider)
    if spec is None or not spec.connectable:
        raise fail(f"provider must be one of: {', '.join(CONNECTABLE)}")
    given = {
        "access_token": access_token,
        "app_secret": app_secret,
        "token": token,
        "client_token": client_token,
        "api_key": api_key,
        "base_url": base_url,
    }
    _add(
        tenant,
        provider,
        _identity(spec, phone_number_id, instance),
        _credentials(spec, given),
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
