"""Listing feed queries, always scoped by tenant: feed settings, the run lease, and the bulk
reads and writes a feed sync makes (plain rows, so 20k listings never fill the session)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, all_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import ListingFeed, Property, Tenant
from vellarys.domain import features
from vellarys.domain.listing_input import FIELDS


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> ListingFeed | None:
    found = await session.execute(select(ListingFeed).where(ListingFeed.tenant_id == tenant_id))
    return found.scalar_one_or_none()


async def get_or_add(session: AsyncSession, tenant_id: uuid.UUID) -> ListingFeed:
    feed = await get(session, tenant_id)
    if feed is None:
        feed = ListingFeed(id=uuid.uuid4(), tenant_id=tenant_id)
        session.add(feed)
        await session.flush()
    return feed


async def claim_due(session: AsyncSession, now: datetime) -> ListingFeed | None:
    """Take the lease of one due feed (moved to its next run), skipping feeds another worker
    holds and agencies whose feed switch the operator turned off; ``None`` when nothing is
    due."""
    switched_off = select(Tenant.id).where(Tenant.features.contains({features.FEEDS: False}))
    due = (
        select(ListingFeed.id)
        .where(
            ListingFeed.url.is_not(None),
            ListingFeed.next_run_at <= now,
            ListingFeed.tenant_id.not_in(switched_off),
        )
        .order_by(ListingFeed.next_run_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    found = await session.execute(
        update(ListingFeed)
        .where(ListingFeed.id == due)
        .values(next_run_at=now + func.make_interval(0, 0, 0, 0, 0, ListingFeed.interval_minutes))
        .returning(ListingFeed)
    )
    return found.scalar_one_or_none()


async def current_rows(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The stored columns (and ``origin``/``available``) of these codes, by code."""
    if not codes:
        return {}
    columns = [getattr(Property, key) for key in FIELDS]
    found = await session.execute(
        select(*columns, Property.origin, Property.available).where(
            Property.tenant_id == tenant_id, Property.code.in_(set(codes))
        )
    )
    return {row.code: dict(row._mapping) for row in found}


async def upsert_listings(
    session: AsyncSession, tenant_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert or overwrite (by code) published feed listings; ``updated_at`` moves so that
    the indexing job re-embeds them."""
    if not rows:
        return
    statement = insert(Property)
    changed = {key: statement.excluded[key] for key in FIELDS if key != "code"}
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Property.tenant_id, Property.code],
            set_={**changed, "available": True, "origin": "feed", "updated_at": func.now()},
        ),
        [
            {**row, "id": uuid.uuid4(), "tenant_id": tenant_id, "available": True, "origin": "feed"}
            for row in rows
        ],
    )


async def unpublish_feed_listings_except(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Collection[str]
) -> list[str]:
    """Unpublish the tenant's available feed listings whose code is not in ``codes``; the
    rows stay (history, and leads who asked about them). Returns their codes."""
    found = await session.execute(
        update(Property)
        .where(
            Property.tenant_id == tenant_id,
            Property.origin == "feed",
            Property.available.is_(True),
            Property.code != all_(bindparam("kept", list(codes), type_=ARRAY(String))),
        )
        .values(available=False, updated_at=func.now())
        .returning(Property.code)
    )
    return sorted(found.scalars())
