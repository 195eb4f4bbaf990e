"""Property queries, always scoped by tenant: filters, code lookup and embeddings."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vellarys.db.models import Property, PropertyEmbedding
from vellarys.db.queries import vector
from vellarys.db.queries.page import Page, PageRequest, fetch_page
from vellarys.domain.lead_search import like_pattern
from vellarys.domain.ports import Vector
from vellarys.domain.property_search import PETS_REFUSED, PETS_WELCOME, PropertyFilters

_CODE_NOISE = "[^A-Za-z0-9]"


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, property_id: uuid.UUID
) -> Property | None:
    found = await session.execute(
        select(Property).where(Property.tenant_id == tenant_id, Property.id == property_id)
    )
    return found.scalar_one_or_none()


async def available_by_code(
    session: AsyncSession, tenant_id: uuid.UUID, code: str
) -> Property | None:
    """The available property whose code matches, ignoring case, spaces and dashes."""
    wanted = "".join(ch for ch in code if ch.isascii() and ch.isalnum()).upper()
    if not wanted:
        return None
    found = await session.execute(
        select(Property)
        .where(
            Property.tenant_id == tenant_id,
            Property.available.is_(True),
            func.upper(func.regexp_replace(Property.code, _CODE_NOISE, "", "g")) == wanted,
        )
        .order_by(Property.code)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def available_codes(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    """The codes of the tenant's available listings."""
    found = await session.execute(
        select(Property.code)
        .where(Property.tenant_id == tenant_id, Property.available.is_(True))
        .order_by(Property.code)
    )
    return list(found.scalars())


async def places(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[str, str]]:
    """Distinct (neighborhood, city) pairs of the tenant's properties."""
    found = await session.execute(
        select(Property.neighborhood, Property.city)
        .where(Property.tenant_id == tenant_id)
        .distinct()
    )
    return [(n, c) for n, c in found]


async def needing_embedding(
    session: AsyncSession, *, tenant_id: uuid.UUID, model: str, limit: int
) -> list[tuple[Property, str | None, str | None]]:
    """Properties with no embedding of ``model`` or edited since they were embedded.

    Edits are seen through ``properties.updated_at`` (set by the ORM on every update; bulk
    writers must set it too). The caller compares content hashes to skip mere touches.
    """
    found = await session.execute(
        select(Property, PropertyEmbedding.model, PropertyEmbedding.content_hash)
        .outerjoin(PropertyEmbedding, PropertyEmbedding.property_id == Property.id)
        .where(
            Property.tenant_id == tenant_id,
            or_(
                PropertyEmbedding.id.is_(None),
                PropertyEmbedding.model != model,
                PropertyEmbedding.updated_at < Property.updated_at,
            ),
        )
        .order_by(Property.created_at, Property.id)
        .limit(limit)
    )
    return [(a, b, c) for a, b, c in found]


def conditions(
    tenant_id: uuid.UUID, f: PropertyFilters, *, exclude: Collection[uuid.UUID] = ()
) -> list[ColumnElement[bool]]:
    """The WHERE clause of a search: the tenant's available listings that pass ``f``."""
    where: list[ColumnElement[bool]] = [
        Property.tenant_id == tenant_id,
        Property.available.is_(True),
    ]
    if f.transaction:
        where.append(Property.transaction == f.transaction)
    if f.property_type:
        where.append(Property.property_type == f.property_type)
    low, high = f.price_range
    # The lead's monthly total when they said "com condomínio"; the price otherwise.
    cost = (
        Property.price + func.coalesce(Property.condo_fee, 0) if f.includes_fees else Property.price
    )
    if low is not None:
        where.append(Property.price >= low)
    if high is not None:
        where.append(cost <= high)
    if f.exclude_codes:
        where.append(Property.code.not_in(list(f.exclude_codes)))
    if f.bedrooms:
        where.append(Property.bedrooms >= f.bedrooms)
    if f.parking:
        where.append(Property.parking >= f.parking)
    where.extend(_place_conditions(tenant_id, f))
    if f.pets:
        where.append(~Property.features.contains([PETS_REFUSED]))
    if exclude:
        where.append(Property.id.not_in(list(exclude)))
    return where


def pets_welcome() -> ColumnElement[bool]:
    return Property.features.contains([PETS_WELCOME])


def _place_conditions(tenant_id: uuid.UUID, f: PropertyFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.city:
        where.append(func.lower(Property.city) == func.lower(f.city))
    if f.neighborhoods:
        where.append(func.lower(Property.neighborhood).in_(_lowered(f.neighborhoods)))
    if f.cities_of:
        other = _other_listing()
        cities = select(func.lower(other.city)).where(
            other.tenant_id == tenant_id,
            func.lower(other.neighborhood).in_(_lowered(f.cities_of)),
        )
        where.append(func.lower(Property.city).in_(cities))
    return where


@cache
def _other_listing() -> Any:
    """A second alias of listings for the city subquery: one for the process (building an
    alias costs more than the rest of a search's WHERE clause)."""
    return aliased(Property)


def _lowered(names: Sequence[str]) -> list[ColumnElement[str]]:
    return [func.lower(name) for name in names]


def embedded_candidates(
    where: Sequence[ColumnElement[bool]], *, tenant_id: uuid.UUID, model: str, query: Vector
) -> tuple[Select[Any], Any]:
    """Listings passing ``where`` that have an embedding of ``model``, with their distance."""
    distance = PropertyEmbedding.embedding.cosine_distance(query)
    statement = (
        select(Property, distance.label("distance"))
        .select_from(PropertyEmbedding)
        .join(Property, Property.id == PropertyEmbedding.property_id)
        .where(PropertyEmbedding.tenant_id == tenant_id, PropertyEmbedding.model == model, *where)
    )
    return statement, distance


async def nearest(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    tenant_id: uuid.UUID,
    model: str,
    query: Vector,
    k: int,
    exact_max_rows: int,
    at_most: int | None = None,
) -> list[tuple[Property, float]]:
    statement, distance = embedded_candidates(where, tenant_id=tenant_id, model=model, query=query)
    found = await vector.nearest(
        session, statement, distance, k=k, exact_max_rows=exact_max_rows, at_most=at_most
    )
    return [(row[0], float(row.distance)) for row in found.rows]


async def stock(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    transaction: str | None,
    model: str,
    cap: int = 1,
) -> tuple[bool, int]:
    """Whether the tenant has any available listing (of this transaction, when given), and
    how many of those have an embedding of ``model`` (counting stops at ``cap``), in one trip.
    A search among them then knows its candidates are at most that many."""
    where = [Property.tenant_id == tenant_id, Property.available.is_(True)]
    if transaction:
        where.append(Property.transaction == transaction)
    listed = select(Property.id).where(*where).exists()
    embedded = (
        select(literal_column("1"))
        .select_from(PropertyEmbedding)
        .join(Property, Property.id == PropertyEmbedding.property_id)
        .where(PropertyEmbedding.tenant_id == tenant_id, *where, PropertyEmbedding.model == model)
        .limit(cap)
        .subquery()
    )
    counted = select(func.count()).select_from(embedded).scalar_subquery()
    row = (await session.execute(select(listed, counted))).one()
    return bool(row[0]), int(row[1])


async def by_price(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    target: int | None,
    limit: int,
    without_embedding_of: str | None = None,
) -> list[Property]:
    """Listings passing ``where``, closest to ``target`` price first (cheapest without one).

    With ``without_embedding_of``, only those lacking an embedding of that model.
    """
    statement = select(Property).where(*where)
    if without_embedding_of is not None:
        # An anti-join: as NOT EXISTS for the planner, and much cheaper to build per search.
        own = and_(
            PropertyEmbedding.property_id == Property.id,
            PropertyEmbedding.model == without_embedding_of,
        )
        statement = statement.outerjoin(PropertyEmbedding, own).where(
            PropertyEmbedding.id.is_(None)
        )
    closeness = func.abs(Property.price - target) if target is not None else Property.price
    statement = statement.order_by(closeness, Property.price, Property.code).limit(limit)
    if limit <= 0:
        statement = statement.where(false())
    return list((await session.execute(statement)).scalars().all())


async def by_codes(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Collection[str]
) -> dict[str, Property]:
    """The tenant's listings with these exact codes, by code (one query for any number)."""
    if not codes:
        return {}
    found = await session.execute(
        select(Property).where(Property.tenant_id == tenant_id, Property.code.in_(set(codes)))
    )
    return {prop.code: prop for prop in found.scalars()}


async def listing_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    request: PageRequest,
    *,
    available: bool | None = None,
    text: str | None = None,
    transaction: str | None = None,
    property_type: str | None = None,
) -> Page[Property]:
    """The tenant's listings by code (available first when mixed), one page at a time."""
    where: list[ColumnElement[bool]] = [Property.tenant_id == tenant_id]
    if available is not None:
        where.append(Property.available.is_(available))
    if transaction:
        where.append(Property.transaction == transaction)
    if property_type:
        where.append(Property.property_type == property_type)
    if text and text.strip():
        pattern = like_pattern(text.strip())
        columns = (Property.code, Property.title, Property.neighborhood)
        where.append(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    order = [Property.available.desc(), Property.code, Property.id]
    return await fetch_page(session, Property, where, order, request)
