"""``vellarys listings sync``: reconcile an agency's listings with its portal feed (VRSync)."""

from __future__ import annotations

import asyncio
import json
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated

import typer

from vellarys.cli.common import DataDir, command_container, fail, settings_from
from vellarys.db.uow import unit_of_work
from vellarys.errors import VellarysError
from vellarys.services import feeds
from vellarys.services.accounts import tenant_by_slug
from vellarys.services.feeds import FeedRefused, FeedReport

listings_app = typer.Typer(help="Listings and the portal feed.", no_args_is_help=True)


@listings_app.command("sync")
def sync(
    tenant: Annotated[str, typer.Option("--tenant", help="Agency slug.")],
    url: Annotated[str | None, typer.Option("--url", help="Address of the VRSync feed.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A VRSync XML file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Add new listings, update changed ones, unpublish those the feed dropped; report."""
    if (url is None) == (file is None):
        raise fail("Give exactly one of --url or --file.")
    settings = settings_from(data_dir)

    async def run(given: IO[bytes] | None) -> FeedReport:
        async with command_container(settings) as container:
            with ExitStack() as files:
                stream = given or files.enter_context(
                    await feeds.fetch_feed(str(url), allow_private=settings.private_urls_allowed)
                )
                async with unit_of_work(container.sessions) as session:
                    agency = await tenant_by_slug(session, tenant)
                    report = await feeds.sync_feed(session, tenant_id=agency.id, stream=stream)
                async with unit_of_work(container.sessions) as session:
                    now = container.clock.now()
                    source = url or str(file)
                    await feeds.record_run(
                        session, tenant_id=agency.id, now=now, report=report, source=source
                    )
            return report

    try:
        with ExitStack() as files:
            given = files.enter_context(file.open("rb")) if file else None
            report = asyncio.run(run(given))
    except OSError:
        raise fail(f"Cannot read {file}.") from None
    except FeedRefused as exc:
        raise fail(str(exc)) from exc
    except VellarysError as exc:
        raise fail(exc.message) from exc
    _print(report, as_json=as_json)


def _print(report: FeedReport, *, as_json: bool) -> None:
    if as_json:
        keys = ("added", "updated", "unchanged", "unpublished", "rejected", "rejected_count")
        typer.echo(json.dumps({k: report.as_dict()[k] for k in keys}, ensure_ascii=False))
        return
    typer.echo(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"unpublished {report.unpublished}, rejected {report.rejected_count}"
    )
    for item in report.rejected:
        typer.echo(f"  {item['code'] or '(sem código)'}: {item['reason']}")
