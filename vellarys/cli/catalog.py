"""Where each ``vellarys`` command lives, so the command line imports only the one it runs.

Importing every command module meant importing the whole application (services, the queue,
the worker's tasks) for ``vellarys --help`` and for each short command: 3-4 s of CPU per
process. The top level lists commands from this catalogue and imports a module on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer

# Typer 0.29 carries its own copy of click; TyperGroup's methods take that copy's types.
from typer import _click as click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Entry:
    """A command: the module and attribute that define it (a function or a Typer group) and
    the line the top-level help shows for it (a test checks it against the command's own)."""

    module: str
    attribute: str
    summary: str


CATALOG: dict[str, Entry] = {
    "migrate": Entry("server", "migrate", "Migrate the database to the newest schema."),
    "seed-demo": Entry(
        "server",
        "seed_demo_command",
        "Create the demo agency (slug 'demo') when it does not exist yet.",
    ),
    "db-url": Entry(
        "server",
        "db_url",
        "Print the libpq URL of the database, starting the embedded one if needed.",
    ),
    "db-stop": Entry("server", "db_stop", "Stop the embedded PostgreSQL of the data folder."),
    "api": Entry("server", "api", "Serve the API, webhooks and dashboard."),
    "worker": Entry(
        "server",
        "worker",
        "Run the job worker (message processing, sending, summaries, maintenance).",
    ),
    "up": Entry(
        "server",
        "up",
        "Migrate, seed the demo agency (development only, or --demo), run the API and a worker.",
    ),
    "chat": Entry(
        "chat",
        "chat",
        "Send a message (or a voice note, or a picture) as a lead through the simulator\n"
        "channel and print the assistant's reply.",
    ),
    "doctor": Entry(
        "doctor",
        "doctor",
        "Check settings, database, roles, connections, workers, queue, disk and TLS.",
    ),
    "backup": Entry(
        "backup",
        "backup",
        "Back up the database (pg_dump custom format) with a manifest of versions and key.",
    ),
    "api-key": Entry("api_key", "api_key_app", "REST API keys of an agency."),
    "briefing": Entry("briefing", "briefing_app", "The manager's morning briefing."),
    "channel": Entry("channel", "channel_app", "WhatsApp channels of an agency."),
    "secrets": Entry("secrets", "secrets_app", "Secrets stored sealed in the database."),
    "db": Entry("database", "db_app", "Database setup (roles, extension, grants)."),
    "followups": Entry("followups", "followups_app", "Follow-ups and reactivations."),
    "listings": Entry("listings", "listings_app", "Listings and the portal feed."),
    "operator": Entry("operator", "operator_app", "Operators (superadmins) of the console."),
    "portal": Entry("integrations", "portal_app", "The portals' lead integration."),
    "tenant": Entry("accounts", "tenant_app", "Agencies (tenants)."),
    "user": Entry("accounts", "user_app", "Agency staff."),
    "visits": Entry("visits", "visits_app", "Visits to listings."),
}


def load(name: str) -> click.Command:
    """The click command of catalogue entry ``name``, importing its module."""
    entry = CATALOG[name]
    target: Any = getattr(importlib.import_module(f"vellarys.cli.{entry.module}"), entry.attribute)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class CatalogGroup(TyperGroup):
    """The top-level group: commands come from ``CATALOG``, imported when resolved.

    Only while the group's own help is written does it show a catalogue entry's summary
    instead of importing the command."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in CATALOG if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in CATALOG:
            if self._listing:
                return TyperCommand(cmd_name, help=CATALOG[cmd_name].summary)
            self.commands[cmd_name] = load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as exc:
            # Typer suggests from the commands already built: here, from the catalogue.
            close = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if close and "Did you mean" not in exc.message:
                names = ", ".join(repr(name) for name in close)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
