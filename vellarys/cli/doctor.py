"""``vellarys doctor``: one line per check, non-zero exit on a failure; also run at start-up."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Annotated

import typer

from vellarys.cli.common import DataDir
from vellarys.config import InvalidSettings, Settings, load_settings
from vellarys.domain.doctor import Check, failed

log = logging.getLogger("vellarys.doctor")
_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


async def _checks(settings: Settings, url: str, cafile: str | None) -> list[Check]:
    # The wiring and the checks are imported by a run, not by ``vellarys doctor --help``.
    from vellarys.bootstrap import build
    from vellarys.services.doctor import run_checks

    container = build(settings, database_url=url)
    try:
        return await run_checks(settings, container.sessions, tls_cafile=cafile)
    finally:
        await container.aclose()


def doctor(
    data_dir: DataDir = None,
    tls_cafile: Annotated[
        str | None, typer.Option(help="Trust this CA file for the TLS check (private CAs).")
    ] = None,
) -> None:
    """Check settings, database, roles, connections, workers, queue, disk and TLS."""
    if data_dir is not None:
        os.environ["VELLARYS_DATA_DIR"] = str(data_dir)
    try:
        settings = load_settings()
    except InvalidSettings as exc:
        for problem in exc.problems:
            typer.echo(f"FAIL  {'settings':<13} {problem}")
        raise typer.Exit(code=1) from None
    from vellarys.bootstrap import resolve_database_url

    checks = asyncio.run(_checks(settings, resolve_database_url(settings), tls_cafile))
    for check in checks:
        typer.echo(f"{_MARK[check.status]}  {check.name:<13} {check.detail}")
    raise typer.Exit(code=1 if failed(checks) else 0)


def log_doctor(settings: Settings, url: str) -> None:
    """Run the checks at start-up and put what is wrong in the log (production does this)."""
    checks = asyncio.run(_checks(settings, url, None))
    for check in checks:
        if check.status == "fail":
            log.error("doctor check failed", extra={"check": check.name, "detail": check.detail})
        elif check.status == "warn":
            log.warning("doctor check warns", extra={"check": check.name, "detail": check.detail})
    failures = sum(check.status == "fail" for check in checks)
    log.info("doctor finished", extra={"checks": len(checks), "failures": failures})
