"""An agency's portal feed (VRSync XML): read it, reconcile the catalog with it, report.

``sync_feed`` is the act the CLI and the periodic job share. Listings are written in batches
through the catalog's feed acts, so memory does not grow with the feed; a bad listing is
rejected with its reason and the rest go on. Only a feed read to its end unpublishes what it
no longer lists, and an empty one unpublishes nothing (a portal hiccup must not empty the
agency's shop window).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters import feed_download
from vellarys.db.models import ListingFeed
from vellarys.db.models.feed import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES
from vellarys.db.queries import feed as queries
from vellarys.domain.listing_input import ListingInput
from vellarys.domain.vrsync import FeedListing, FeedRefused, Rejected, read_feed
from vellarys.errors import BadRequest
from vellarys.services import catalog

BATCH = 500
# The report keeps this many rejections (the count is always exact).
MAX_REPORTED_REJECTIONS = 500
MAX_URL_CHARS = 2000

__all__ = [
    "FeedRefused",
    "FeedReport",
    "claim_due_feed",
    "configure_feed",
    "fetch_feed",
    "get_feed",
    "record_run",
    "sync_feed",
]


@dataclass
class FeedReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    unpublished: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    rejected_count: int = 0

    def reject(self, code: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED_REJECTIONS:
            self.rejected.append({"code": code, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def sync_feed(
    session: AsyncSession, *, tenant_id: uuid.UUID, stream: IO[bytes]
) -> FeedReport:
    """Reconcile the agency's feed listings with a VRSync feed; ``FeedRefused`` (nothing
    written by the caller's rollback) when the file is unsafe, broken or lists nothing."""
    report = FeedReport()
    seen: set[str] = set()
    published: set[str] = set()
    batch: list[ListingInput] = []
    for item in read_feed(stream):
        for listing in _accept(item, seen, report):
            batch.append(listing)
            published.add(listing.code)
        if len(batch) >= BATCH:
            await _write(session, tenant_id, batch, report)
            batch = []
    await _write(session, tenant_id, batch, report)
    if not seen:
        raise FeedRefused("O feed não tem nenhum imóvel: nada foi despublicado.")
    gone = await catalog.unpublish_feed_listings(session, tenant_id=tenant_id, keep=published)
    report.unpublished = len(gone)
    await catalog.queue_indexing(session, tenant_id=tenant_id)
    return report


def _accept(
    item: FeedListing | Rejected, seen: set[str], report: FeedReport
) -> Iterable[ListingInput]:
    if isinstance(item, Rejected):
        report.reject(item.code, item.reason)
        return ()
    if item.code in seen:
        report.reject(item.code, "ListingID repetido no feed (vale o primeiro).")
        return ()
    seen.add(item.code)
    return item.listings


async def _write(
    session: AsyncSession, tenant_id: uuid.UUID, batch: list[ListingInput], report: FeedReport
) -> None:
    if not batch:
        return
    added, updated = await catalog.publish_feed_listings(
        session, tenant_id=tenant_id, listings=batch
    )
    report.added += len(added)
    report.updated += len(updated)
    report.unchanged += len(batch) - len(added) - len(updated)


async def configure_feed(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    url: str | None,
    interval_minutes: int,
    now: datetime,
) -> ListingFeed:
    """Set (or clear, with no URL) the agency's feed address and how often it is read; the
    next run is due at once."""
    url = (url or "").strip() or None
    if url is not None and (
        len(url) > MAX_URL_CHARS or not url.startswith(("http://", "https://"))
    ):
        raise BadRequest("Informe o endereço http(s) do feed (até 2000 caracteres).")
    if not MIN_INTERVAL_MINUTES <= interval_minutes <= MAX_INTERVAL_MINUTES:
        raise BadRequest(
            f"O intervalo vai de {MIN_INTERVAL_MINUTES} minutos "
            f"a {MAX_INTERVAL_MINUTES // 1440} dias."
        )
    feed = await queries.get_or_add(session, tenant_id)
    feed.url, feed.interval_minutes, feed.next_run_at = url, interval_minutes, now
    await session.flush()
    return feed


async def record_run(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    now: datetime,
    report: FeedReport | None,
    error: str | None = None,
    source: str,
) -> None:
    """Keep the last run's report (or why it failed) for the properties page."""
    feed = await queries.get_or_add(session, tenant_id)
    feed.last_run_at = now
    outcome: dict[str, Any] = report.as_dict() if report else {}
    feed.last_report = {**outcome, "error": error, "source": source[:300], "at": now.isoformat()}
    await session.flush()


async def claim_due_feed(session: AsyncSession, *, now: datetime) -> ListingFeed | None:
    """The lease on one due feed (see ``queries.claim_due``)."""
    return await queries.claim_due(session, now)


async def fetch_feed(url: str, *, allow_private: bool) -> IO[bytes]:
    """The feed at ``url`` in a temporary file (``ProviderError`` when it cannot be had, or
    when it leads to a private address and those are not allowed)."""
    return await feed_download.download(url, allow_private=allow_private)


async def get_feed(session: AsyncSession, *, tenant_id: uuid.UUID) -> ListingFeed | None:
    """The agency's feed settings and last report, if it ever set a feed or synced one."""
    return await queries.get(session, tenant_id)
