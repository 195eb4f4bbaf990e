"""Operator commands: ``vellarys tenant create|usage`` and ``vellarys user create``."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.domain.clock import SystemClock
from vellarys.errors import VellarysError
from vellarys.services import accounts, staff, tenant_usage
from vellarys.services.accounts import tenant_by_slug
from vellarys.services.audit import Actor

tenant_app = typer.Typer(help="Agencies (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Agency staff.", no_args_is_help=True)


@tenant_app.command("create")
def create_tenant(
    slug: Annotated[str, typer.Option(help="Short name used in URLs, e.g. casa-paulista.")],
    name: Annotated[str, typer.Option(help="The agency's name.")],
    data_dir: DataDir = None,
) -> None:
    """Create an agency."""
    settings = settings_from(data_dir)

    async def run() -> None:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            await accounts.create_tenant(session, slug=slug, name=name)

    try:
        asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"agency {slug} created")


@tenant_app.command("usage")
def usage(
    tenant: Annotated[str | None, typer.Option(help="Agency slug (default: every agency).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """This month's leads, messages, LLM tokens, brokers and storage per agency."""
    settings = settings_from(data_dir)

    async def run() -> list[dict[str, Any]]:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            return await tenant_usage.this_month(session, now=SystemClock().now(), slug=tenant)

    try:
        rows = asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(
            f"{row['slug']:<24} {row['month']}  leads {row['leads']}  "
            f"messages {row['messages_in']} in / {row['messages_out']} out  "
            f"tokens {row['llm_tokens']}  brokers {row['brokers']}  "
            f"storage {int(row['storage_bytes']) / 1e6:.1f} MB"
        )


@user_app.command("create")
def create_user(
    tenant: Annotated[str, typer.Option(help="Agency slug.")],
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    password: Annotated[str, typer.Option(help="Initial password (at least 8 characters).")],
    role: Annotated[str, typer.Option(help="admin, manager or broker.")] = "broker",
    name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    phone: Annotated[str | None, typer.Option(help="WhatsApp number for handoff alerts.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a user of an agency."""
    settings = settings_from(data_dir)

    async def run() -> None:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            await staff.create_user(
                session,
                Actor(tenant_id=agency.id),
                email=email,
                password=password,
                role=role,
                name=name,
                phone=phone,
            )

    try:
        asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"{role} {email} created in {tenant}")


@user_app.command("update")
def update_user(
    tenant: Annotated[str, typer.Option(help="Agency slug.")],
    email: Annotated[str, typer.Option(help="The user's login e-mail.")],
    phone: Annotated[str | None, typer.Option(help="WhatsApp number ('' clears it).")] = None,
    role: Annotated[str | None, typer.Option(help="admin, manager or broker.")] = None,
    neighborhoods: Annotated[
        str | None, typer.Option(help="Neighbourhoods they cover, comma separated.")
    ] = None,
    cities: Annotated[str | None, typer.Option(help="Cities they cover, comma separated.")] = None,
    specialities: Annotated[
        str | None, typer.Option(help="sale, rent, commercial, high_end (comma separated).")
    ] = None,
    cap: Annotated[
        str | None, typer.Option(help="New leads a day at most ('' removes it).")
    ] = None,
    available: Annotated[
        bool | None, typer.Option("--available/--unavailable", help="Takes new leads now.")
    ] = None,
    vacation_from: Annotated[str | None, typer.Option(help="First day away, YYYY-MM-DD.")] = None,
    vacation_until: Annotated[str | None, typer.Option(help="Last day away, YYYY-MM-DD.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Change a user's routing profile: only the options given change."""
    settings = settings_from(data_dir)
    given = {
        "phone": phone,
        "role": role,
        "neighborhoods": neighborhoods,
        "cities": cities,
        "specialities": specialities,
        "daily_lead_cap": cap,
        "available": None if available is None else ("on" if available else "off"),
        "vacation_from": vacation_from,
        "vacation_until": vacation_until,
    }
    fields = {key: value for key, value in given.items() if value is not None}

    async def run() -> None:
        async with (
            command_container(settings) as container,
            unit_of_work(container.sessions) as session,
        ):
            agency = await tenant_by_slug(session, tenant)
            await staff.update_user_by_email(
                session, Actor(tenant_id=agency.id), email=email, fields=fields
            )

    try:
        asyncio.run(run())
    except VellarysError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"{email} updated in {tenant}")
