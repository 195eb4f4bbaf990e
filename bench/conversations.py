"""``make eval``: play the scripted conversations against the configured brain and score them.

    .venv/bin/python -m bench.conversations              # offline brain (or VELLARYS_LLM_*)
    .venv/bin/python -m bench.conversations --only ITBI  # scripts whose name contains "ITBI"
    .venv/bin/python -m bench.conversations --quiet      # scores only, no transcripts
    .venv/bin/python -m bench.conversations --keep /tmp/eval-pg  # reuse an indexed database

Seeds the demo agency in a scratch database (``TEST_DATABASE_URL``'s server, or an embedded
PostgreSQL in a temporary folder), indexes its listings and knowledge with the configured
embedder, plays every script of ``bench/conversation_scripts/scripts.py`` as a new lead through the
real services, and prints each transcript with its failed checks, then the mechanical scores:
scripts passed, profile fields right, global violations. The broker's 1-5 scores are given by
a person reading these transcripts with ``bench/conversation_scripts/RUBRIC.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conversation_scripts.player import Played, play  # noqa: E402
from bench.conversation_scripts.scripts import SCRIPTS  # noqa: E402
from bench.retrieval import scratch_database  # noqa: E402
from vellarys.bootstrap import Container, build  # noqa: E402
from vellarys.config import Settings  # noqa: E402
from vellarys.db import migrate  # noqa: E402
from vellarys.db.models import KnowledgeDocument  # noqa: E402
from vellarys.db.uow import unit_of_work  # noqa: E402
from vellarys.services import knowledge, property_search  # noqa: E402
from vellarys.services.demo import seed_demo  # noqa: E402


async def prepare(container: Container) -> object:
    """The demo agency, seeded and indexed; returns its tenant id."""
    async with unit_of_work(container.sessions) as session:
        seeded = await seed_demo(session)
        tenant = seeded.tenant
        if not seeded.created:
            return tenant.id  # a kept database: seeded and indexed on an earlier run
        while await property_search.index_pending_properties(
            session, container.embedder, tenant_id=tenant.id
        ):
            pass
        documents = await session.execute(
            select(KnowledgeDocument.id).where(KnowledgeDocument.tenant_id == tenant.id)
        )
        for document_id in list(documents.scalars()):
            await knowledge.index_document(
                session, container.embedder, tenant_id=tenant.id, document_id=document_id
            )
        return tenant.id


async def play_all(container: Container, only: str | None) -> list[Played]:
    tenant_id = await prepare(container)
    run = secrets.randbelow(1000)  # new leads on every run, also in a kept database
    results = []
    for number, script in enumerate(SCRIPTS):
        if only and only.casefold() not in script.name.casefold():
            continue
        results.append(
            await play(
                container.sessions,
                container.pipeline,
                tenant_id=tenant_id,  # type: ignore[arg-type]
                script=script,
                phone=f"+55119{run:03d}{number:05d}",
            )
        )
    return results


def report(results: list[Played], *, quiet: bool) -> None:
    for played in results:
        if not quiet:
            print(played.transcript())
        for problem in played.failures + played.violations:
            print(f"   ✗ {played.script.name}: {problem}")
        if not quiet:
            print()
    passed = sum(p.passed for p in results)
    right = sum(p.fields_right for p in results)
    checked = sum(p.fields_checked for p in results)
    violations = sum(len(p.violations) for p in results)
    print(f"scripts passed:     {passed}/{len(results)}")
    print(f"profile fields:     {right}/{checked} right ({right / max(checked, 1):.1%})")
    print(f"global violations:  {violations}")


async def run(url: str, args: argparse.Namespace) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    with tempfile.TemporaryDirectory(prefix="vellarys-eval-") as data:
        settings = Settings(database_url=url, data_dir=Path(data), debounce_seconds=0)
        container = build(settings)
        try:
            print(
                f"brain: {'LLM ' + str(settings.llm_model) if settings.llm_base_url else 'offline'}"
            )
            report(await play_all(container, args.only), quiet=args.quiet)
        finally:
            await container.aclose()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="play only scripts whose name contains this")
    parser.add_argument("--quiet", action="store_true", help="scores and failures only")
    parser.add_argument("--keep", type=Path, help="an embedded PostgreSQL folder kept across runs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.keep:
        asyncio.run(run(_kept_database(args.keep), args))
        return
    with scratch_database() as url:
        asyncio.run(run(url, args))


def _kept_database(folder: Path) -> str:
    """An embedded PostgreSQL in ``folder`` that outlives the run (stop it with pg_ctl)."""
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode=None)
    return str(server.get_uri())


if __name__ == "__main__":
    main()
