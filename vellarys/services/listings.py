"""Listings as the REST API manages them: typed JSON in, pages out, all-or-nothing bulk import.

The rules for a valid listing live in ``catalog`` (shared with the dashboard's forms and CSV
import); this module turns typed values into that form and adds what the API needs on top.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Property
from vellarys.db.queries.lead_search import counted
from vellarys.domain.lead_search import like_pattern
from vellarys.errors import BadRequest
from vellarys.services import catalog
from vellarys.services.leads import Page, check_page

MAX_BULK_ROWS = 1000
LISTING_FIELDS = (
    "code",
    "title",
    "property_type",
    "transaction",
    "price",
    "condo_fee",
    "iptu",
    "bedrooms",
    "suites",
    "bathrooms",
    "parking",
    "area_m2",
    "neighborhood",
    "city",
    "state",
    "address",
    "description",
    "features",
    "photos",
)
CENTS = Decimal("0.01")
COUNTS = ("bedrooms", "suites", "bathrooms", "parking")


def as_form(values: Mapping[str, Any]) -> dict[str, str | None]:
    """Typed listing values as the text ``catalog.parse_listing`` reads."""
    form: dict[str, str | None] = {}
    for key, value in values.items():
        if key not in LISTING_FIELDS or value is None:
            continue
        if key == "features":
            form[key] = "|".join(str(v) for v in value)
        elif key == "photos":
            form[key] = " ".join(str(v) for v in value)
        elif isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            # Two decimals always: "3500.125" would read as thousands.
            form[key] = str(value) if key in COUNTS else str(Decimal(str(value)).quantize(CENTS))
        else:
            form[key] = str(value)
    return form


def _current(prop: Property) -> dict[str, Any]:
    return {key: getattr(prop, key) for key in LISTING_FIELDS}


async def create_listing(
    session: AsyncSession, *, tenant_id: uuid.UUID, values: Mapping[str, Any]
) -> Property:
    """Create a listing (``catalog.InvalidListing`` lists what is wrong); indexing is enqueued."""
    return await catalog.create_property(session, tenant_id=tenant_id, raw=as_form(values))


async def update_listing(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    property_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Property:
    """Change the given fields only (``available`` included); the rest stays as it is."""
    prop = await catalog.get_property(session, tenant_id=tenant_id, property_id=property_id)
    fields = {k: v for k, v in changes.items() if k in LISTING_FIELDS}
    if fields:
        merged = {**_current(prop), **fields}
        prop = await catalog.update_property(
            session, tenant_id=tenant_id, property_id=property_id, raw=as_form(merged)
        )
    if "available" in changes and changes["available"] is not None:
        prop = await catalog.set_available(
            session,
            tenant_id=tenant_id,
            property_id=property_id,
            available=bool(changes["available"]),
        )
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
    """The agency's listings by code, one page at a time."""
    check_page(page, per_page)
    where: list[ColumnElement[bool]] = [Property.tenant_id == tenant_id]
    if available is not None:
        where.append(Property.available.is_(available))
    if transaction:
        where.append(Property.transaction == transaction)
    if property_type:
        where.append(Property.property_type == property_type)
    if text and text.strip():
        pattern = like_pattern(text.strip())
        where.append(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Property.code, Property.title, Property.neighborhood)
                )
            )
        )
    statement = (
        select(Property, func.count().over().label("total"))
        .where(*where)
        .order_by(Property.code, Property.id)
    )
    items, total = await counted(
        session, statement, where, Property, limit=per_page, offset=(page - 1) * per_page
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


async def import_listings(
    session: AsyncSession, *, tenant_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> catalog.ImportReport:
    """Create or update (by code) every listing, or none when any row is bad.

    Row errors come back in the report (``line`` is the 1-based position in ``rows``) and
    nothing is written; one indexing job covers the whole import.
    """
    if not rows:
        raise BadRequest("Envie pelo menos um imóvel")
    if len(rows) > MAX_BULK_ROWS:
        raise BadRequest(f"Importe no máximo {MAX_BULK_ROWS} imóveis por vez")
    report = catalog.ImportReport()
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=1):
        values, errors = catalog.parse_listing(as_form(row))
        code = values.get("code") or ""
        if code and code in seen:
            errors.append(f"Código repetido (já no item {seen[code]}).")
        seen.setdefault(code, line)
        if errors:
            report.errors.append(catalog.RowError(line=line, code=code, messages=errors))
        parsed.append(values)
    if report.errors:
        return report
    existing = await _by_codes(session, tenant_id, [values["code"] for values in parsed])
    for values in parsed:
        prop = existing.get(values["code"])
        if prop is None:
            session.add(Property(id=uuid.uuid4(), tenant_id=tenant_id, available=True, **values))
            report.created += 1
        else:
            for key, value in values.items():
                setattr(prop, key, value)
            report.updated += 1
    await session.flush()
    await queue.defer_index_properties(session, tenant_id=tenant_id)
    return report


async def _by_codes(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Sequence[str]
) -> dict[str, Property]:
    found = await session.execute(
        select(Property).where(Property.tenant_id == tenant_id, Property.code.in_(codes))
    )
    return {prop.code: prop for prop in found.scalars()}
