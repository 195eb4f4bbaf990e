"""What every command shares: settings from options and env, and a container for one command."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vellarys.config import InvalidSettings, Settings, load_settings

if TYPE_CHECKING:
    from vellarys.bootstrap import Container

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data folder (embedded database, secret key). Env: VELLARYS_DATA_DIR."
    ),
]


def settings_from(data_dir: Path | None = None, **overrides: object) -> Settings:
    """Settings with command-line options applied; they become environment variables too,
    so child processes inherit them."""
    if data_dir is not None:
        os.environ["VELLARYS_DATA_DIR"] = str(data_dir)
    for key, value in overrides.items():
        if value is not None:
            os.environ[f"VELLARYS_{key.upper()}"] = str(value)
    try:
        return load_settings()
    except InvalidSettings as exc:
        # One message with every problem, not a traceback per missing variable.
        raise fail(str(exc), code=2) from None


@asynccontextmanager
async def command_container(settings: Settings) -> AsyncIterator[Container]:
    # Imported when a command runs: the wiring imports adapters that ``--help`` never needs.
    from vellarys.bootstrap import build

    container = build(settings)
    try:
        yield container
    finally:
        await container.aclose()


def fail(message: str, *, code: int = 1) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=code)
