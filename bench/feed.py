"""Portal feed benchmark: time and peak memory of a VRSync sync with 20,000 listings.

    .venv/bin/python -m bench.feed                    # 20,000 listings (~50 MB of XML)
    .venv/bin/python -m bench.feed --listings 2000    # quicker
    TEST_DATABASE_URL=postgresql://... .venv/bin/python -m bench.feed

1. Write a generated VRSync file (streamed to disk: sale, rent and sale/rent listings, HTML
   descriptions of ~2 KB, photos and features, like the portals' feeds).
2. On a fresh migrated database, sync it into a new agency (``services.feeds.sync_feed``, one
   unit of work, as the CLI and the periodic job do), then sync a changed copy (every tenth
   price changed, the last tenth dropped) and report both runs.

Memory is the process's peak resident size (``ru_maxrss``) before and after each run, and the
peak of Python allocations during the run (``tracemalloc``, which slows the run: ``--no-trace``
measures time alone).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from sqlalchemy.ext.asyncio import async_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.retrieval import scratch_database  # noqa: E402
from vellarys.db import migrate  # noqa: E402
from vellarys.db.engine import PoolConfig, create_engine  # noqa: E402
from vellarys.db.models import Tenant  # noqa: E402
from vellarys.db.uow import unit_of_work  # noqa: E402
from vellarys.services import feeds  # noqa: E402

NEIGHBORHOODS = ("Pinheiros", "Moema", "Perdizes", "Tatuapé", "Santana", "Butantã", "Mooca")
TYPES = (
    "Residential / Apartment",
    "Residential / Home",
    "Residential / Condo",
    "Commercial / Office",
)
SIDES = ("For Sale", "For Sale", "For Rent", "Sale/Rent")
PARAGRAPH = (
    "<p>Imóvel <b>reformado</b>, com sol da manhã, varanda e vista livre; "
    "perto de escolas, mercados e do metrô.</p><ul><li>Aceita financiamento</li>"
    "<li>Documentação em dia</li></ul>"
)


def listing_xml(number: int, *, price_bump: int = 0) -> str:
    side = SIDES[number % len(SIDES)]
    place = NEIGHBORHOODS[number % len(NEIGHBORHOODS)]
    price = 300_000 + (number % 500) * 5_000 + price_bump
    photos = "".join(
        f'<Item medium="image">https://fotos.example/{number}/{k}.jpg</Item>' for k in range(8)
    )
    return (
        f"<Listing><ListingID>BX-{number}</ListingID>"
        f"<Title>Imóvel {number} em {place}</Title><TransactionType>{side}</TransactionType>"
        f"<Media>{photos}</Media><Details><PropertyType>{TYPES[number % len(TYPES)]}</PropertyType>"
        f"<Description>{escape(PARAGRAPH * 10)}</Description>"
        f"<ListPrice>{price}</ListPrice><RentalPrice>{2_000 + number % 40 * 100}</RentalPrice>"
        f"<PropertyAdministrationFee>{500 + number % 9 * 100}</PropertyAdministrationFee>"
        f"<YearlyTax>{1_200 + number % 11 * 100}</YearlyTax>"
        f"<LivingArea>{40 + number % 200}</LivingArea>"
        f"<Bedrooms>{1 + number % 4}</Bedrooms><Bathrooms>{1 + number % 3}</Bathrooms>"
        f"<Suites>{number % 2}</Suites><Garage>{number % 3}</Garage>"
        "<Features><Feature>Piscina</Feature><Feature>Academia</Feature></Features></Details>"
        f"<Location><State abbreviation='SP'>São Paulo</State><City>São Paulo</City>"
        f"<Neighborhood>{place}</Neighborhood><Address>Rua {number}</Address>"
        "<PostalCode>05400-000</PostalCode></Location></Listing>\n"
    )


def write_feed(
    target: IO[bytes], listings: int, *, changed: Callable[[int], int] = lambda n: 0
) -> None:
    """A VRSync feed of ``listings`` generated listings, written as it is produced."""
    target.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<ListingDataFeed><Listings>\n')
    for number in range(listings):
        target.write(listing_xml(number, price_bump=changed(number)).encode())
    target.write(b"</Listings></ListingDataFeed>\n")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _sync(url: str, path: Path, *, trace: bool) -> tuple[feeds.FeedReport, float, float]:
    engine = create_engine(url, PoolConfig(pool_size=2, statement_timeout_ms=0))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with unit_of_work(sessions) as session:
            tenant = (await session.execute(Tenant.__table__.select().limit(1))).first()
        assert tenant is not None
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        with path.open("rb") as stream:
            async with unit_of_work(sessions) as session:
                report = await feeds.sync_feed(session, tenant_id=tenant.id, stream=stream)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
        tracemalloc.stop()
        return report, seconds, peak
    finally:
        await engine.dispose()


async def _add_tenant(url: str) -> None:
    engine = create_engine(url, PoolConfig(pool_size=1))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with unit_of_work(sessions) as session:
        session.add(Tenant(slug="bench-feed", name="Bench"))
    await engine.dispose()


def run(url: str, listings: int, *, trace: bool = True, folder: Path) -> list[str]:
    """Sync a generated feed and a changed copy into ``url``; one printed line per run."""
    first, second = folder / "feed.xml", folder / "feed-changed.xml"
    with first.open("wb") as out:
        write_feed(out, listings)
    kept = listings - listings // 10
    with second.open("wb") as out:
        write_feed(out, kept, changed=lambda n: 1_000 if n % 10 == 0 else 0)
    asyncio.run(_add_tenant(url))
    lines = []
    for label, path in (("first sync", first), ("changed copy", second)):
        rss_before = _rss_mb()
        report, seconds, peak = asyncio.run(_sync(url, path, trace=trace))
        size = path.stat().st_size / 2**20
        lines.append(
            f"{label}: {listings if path == first else kept} listings, {size:.1f} MB of XML, "
            f"{seconds:.1f} s; added {report.added}, updated {report.updated}, "
            f"unchanged {report.unchanged}, unpublished {report.unpublished}, "
            f"rejected {report.rejected_count}; Python peak {peak:.1f} MB, "
            f"process peak RSS {rss_before:.0f} -> {_rss_mb():.0f} MB"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--no-trace", action="store_true", help="time only (no tracemalloc)")
    args = parser.parse_args()
    with scratch_database() as url, tempfile.TemporaryDirectory() as folder:
        migrate.upgrade(url)
        for line in run(url, args.listings, trace=not args.no_trace, folder=Path(folder)):
            print(line)


if __name__ == "__main__":
    main()
