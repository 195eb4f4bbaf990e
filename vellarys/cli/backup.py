"""``vellarys backup``: a pg_dump of the database and a manifest; the secret key stays apart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vellarys.bootstrap import resolve_database_url
from vellarys.cli.common import DataDir, fail, settings_from
from vellarys.db.backup import BackupError, find_pg_dump, make_backup
from vellarys.db.embedded import bundled_binary
from vellarys.db.url import libpq_url


def backup(
    output: Annotated[Path, typer.Option(help="Folder for the dump and its manifest.")] = Path(
        "backups"
    ),
    pg_dump: Annotated[
        str | None, typer.Option(help="pg_dump to use (its major version >= the server's).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Back up the database (pg_dump custom format) with a manifest of versions and key."""
    settings = settings_from(data_dir)
    url = libpq_url(resolve_database_url(settings))
    bundled = bundled_binary("pg_dump") if settings.embedded else None
    try:
        manifest = make_backup(
            url,
            output,
            pg_dump=find_pg_dump(pg_dump, bundled),
            secret_key=settings.resolved_secret_key,
        )
    except BackupError as exc:
        raise fail(str(exc)) from None
    where = (
        "VELLARYS_SECRET_KEY"
        if settings.secret_key is not None
        else str(settings.data_dir / "secret_key")
    )
    typer.echo(f"backup written: {output / manifest.dump} (revision {manifest.revision})")
    typer.echo(
        f"The secret key is not in it: keep a copy of {where} elsewhere (fingerprint "
        f"{manifest.secret_key_sha256}); without it the channel credentials cannot be opened."
    )
