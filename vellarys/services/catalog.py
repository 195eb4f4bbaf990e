"""The agency's listings: the one write service for the dashboard, CSV, the REST API and the seed.

Every act takes a checked ``ListingInput`` (or typed changes checked into one) and enqueues
one indexing job in the same transaction, so a listing is never searchable with stale text
for longer than the worker takes. An import is all or nothing: one bad row and nothing is
written, and the report says what to fix on which line.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Property
from vellarys.db.queries import feed as feed_queries
from vellarys.db.queries import property as queries
from vellarys.db.queries import user as user_queries
from vellarys.db.queries.page import Page, page_request
from vellarys.domain.listing_csv import MAX_IMPORT_ROWS, read_listing_csv
from vellarys.domain.listing_input import (
    FIELDS,
    InvalidListing,
    ListingInput,
    listing_from_text,
    listing_from_values,
)
from vellarys.errors import BadRequest, NotFound

__all__ = [
    "FIELDS",
    "ImportReport",
    "InvalidListing",
    "ListingInput",
    "RowError",
    "create_listing",
    "get_listing",
    "import_csv",
    "import_listings",
    "list_listings",
    "publish_feed_listings",
    "queue_indexing",
    "set_listing_broker",
    "unpublish_feed_listings",
    "update_listing",
]


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    code: str
    messages: list[str]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _apply(prop: Property, listing: ListingInput | None, available: bool | None) -> None:
    """Write a checked listing's columns and/or the availability onto the row."""
    for key, value in (listing.columns() if listing else {}).items():
        setattr(prop, key, value)
    if available is not None:
        prop.available = available


async def _enqueue_indexing(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    await queue.defer_index_properties(session, tenant_id=tenant_id)


async def _refuse_taken_code(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> None:
    if await queries.by_codes(session, tenant_id, [code]):
        raise InvalidListing([f"Já existe um imóvel com o código {code}."])


async def create_listing(
    session: AsyncSession, *, tenant_id: uuid.UUID, listing: ListingInput
) -> Property:
    """Add an available listing; ``InvalidListing`` when its code is taken."""
    await _refuse_taken_code(session, tenant_id, listing.code)
    prop = Property(id=uuid.uuid4(), tenant_id=tenant_id, available=True, **listing.columns())
    session.add(prop)
    await session.flush()
    await _enqueue_indexing(session, tenant_id)
    return prop


async def get_listing(
    session: AsyncSession, *, tenant_id: uuid.UUID, property_id: uuid.UUID
) -> Property:
    prop = await queries.get(session, tenant_id, property_id)
    if prop is None:
        raise NotFound("Imóvel não encontrado.")
    return prop


async def update_listing(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    property_id: uuid.UUID,
    changes: Mapping[str, Any] | None = None,
    form: Mapping[str, str | None] | None = None,
    available: bool | None = None,
) -> Property:
    """Change the given fields (typed ``changes``, or a whole ``form`` of text) and/or
    availability. The row is read once (a missing one is ``NotFound`` before the input is
    judged), checked as a whole, and one indexing job queued."""
    prop = await get_listing(session, tenant_id=tenant_id, property_id=property_id)
    if form is not None:
        changes = listing_from_text(form).columns()
    if changes:
        current = {key: getattr(prop, key) for key in FIELDS}
        listing = listing_from_values({**current, **changes})
        if listing.code != prop.code:
            await _refuse_taken_code(session, tenant_id, listing.code)
        _apply(prop, listing, None)
    _apply(prop, None, available)
    await session.flush()
    await _enqueue_indexing(session, tenant_id)
    return prop


async def list_listings(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    page: int = 1,
    per_page: int = 25,
    available: bool | None = None,
    text: str | None = None,
    transaction: str | None = None,
    property_type: str | None = None,
) -> Page[Property]:
    """The agency's listings, available first, by code, one page at a time."""
    return await queries.listing_page(
        session,
        tenant_id,
        page_request(page, per_page),
        available=available,
        text=text,
        transaction=transaction,
        property_type=property_type,
    )


async def import_csv(
    session: AsyncSession, *, tenant_id: uuid.UUID, content: bytes
) -> ImportReport:
    """``import_listings`` of a CSV file (see ``domain.listing_csv`` for what it accepts)."""
    return await import_listings(
        session, tenant_id=tenant_id, rows=read_listing_csv(content), as_text=True
    )


async def import_listings(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    as_text: bool,
) -> ImportReport:
    """Create or update (by code) every listing, or none when any row is bad.

    ``rows`` are ``(line, values)``: form text (``as_text``, a CSV) or typed values (JSON,
    the demo data). Codes already stored are read in one query; one indexing job covers
    the whole import.
    """
    if not rows:
        raise BadRequest("Envie pelo menos um imóvel.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise BadRequest(f"Importe no máximo {MAX_IMPORT_ROWS} imóveis por vez.")
    listings, report = _check_rows(rows, as_text=as_text)
    if not report.ok:
        return report
    existing = await queries.by_codes(session, tenant_id, [item.code for item, _ in listings])
    for listing, available in listings:
        prop = existing.get(listing.code)
        if prop is None:
            prop = Property(id=uuid.uuid4(), tenant_id=tenant_id, available=True)
            session.add(prop)
            report.created += 1
        else:
            report.updated += 1
        _apply(prop, listing, available)
    await session.flush()
    await _enqueue_indexing(session, tenant_id)
    return report


def _check_rows(
    rows: Sequence[tuple[int, Mapping[str, Any]]], *, as_text: bool
) -> tuple[list[tuple[ListingInput, bool | None]], ImportReport]:
    report = ImportReport()
    listings: list[tuple[ListingInput, bool | None]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        code = str(row.get("code") or "").strip()[:40]
        messages = [] if as_text else _unknown_fields(row)
        if code and code in seen:
            messages.append(f"Código repetido (já na linha {seen[code]}).")
        seen.setdefault(code, line)
        try:
            listing = listing_from_text(row) if as_text else listing_from_values(row)
            listings.append((listing, None if as_text else _available(row)))
        except InvalidListing as exc:
            messages = exc.errors + messages
        if messages:
            report.errors.append(RowError(line=line, code=code, messages=messages))
    return listings, report


def _unknown_fields(row: Mapping[str, Any]) -> list[str]:
    unknown = sorted(str(key)[:40] for key in row if key not in FIELDS and key != "available")
    return [f"Campo desconhecido: {', '.join(unknown)}."] if unknown else []


def _available(row: Mapping[str, Any]) -> bool | None:
    value = row.get("available")
    if value is not None and not isinstance(value, bool):
        raise InvalidListing(["O campo available deve ser true ou false."])
    return value


async def publish_feed_listings(
    session: AsyncSession, *, tenant_id: uuid.UUID, listings: Sequence[ListingInput]
) -> tuple[list[str], list[str]]:
    """Write one batch of a portal feed's listings: new codes added, changed (or unpublished)
    ones overwritten and published, identical ones left alone so they are not re-embedded.
    Returns the (added, updated) codes. The caller queues indexing once per feed run."""
    stored = await feed_queries.current_rows(session, tenant_id, [x.code for x in listings])
    added: list[str] = []
    updated: list[str] = []
    rows: list[dict[str, Any]] = []
    for listing in listings:
        columns = listing.columns()
        current = stored.get(listing.code)
        if current is None:
            added.append(listing.code)
        elif _differs(current, columns):
            updated.append(listing.code)
        else:
            continue
        rows.append(columns)
    await feed_queries.upsert_listings(session, tenant_id, rows)
    return added, updated


def _differs(current: Mapping[str, Any], columns: Mapping[str, Any]) -> bool:
    if not current["available"] or current["origin"] != "feed":
        return True
    return any(current[key] != value for key, value in columns.items())


async def unpublish_feed_listings(
    session: AsyncSession, *, tenant_id: uuid.UUID, keep: Collection[str]
) -> list[str]:
    """Unpublish the feed listings the feed no longer has (kept for history and for the
    leads who asked about them); returns their codes."""
    return await feed_queries.unpublish_feed_listings_except(session, tenant_id, keep)


async def set_listing_broker(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    property_id: uuid.UUID,
    user_id: uuid.UUID | None,
) -> Property:
    """The listing's own broker (None: nobody); the user must be active in the agency."""
    prop = await get_listing(session, tenant_id=tenant_id, property_id=property_id)
    if user_id is not None:
        user = await user_queries.get(session, tenant_id, user_id)
        if user is None or not user.active:
            raise BadRequest("Esse corretor não existe nesta imobiliária ou está desativado.")
    prop.broker_id = user_id
    await session.flush()
    return prop


async def queue_indexing(session: AsyncSession, *, tenant_id: uuid.UUID) -> None:
    """One indexing job for whatever changed (it re-embeds edited listings only)."""
    await _enqueue_indexing(session, tenant_id)
