"""Property retrieval: embedding listings, code lookup, places, and the search the brain uses."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Property, PropertyEmbedding
from vellarys.db.queries import property as queries
from vellarys.db.queries.embedding import upsert_embeddings
from vellarys.db.queries.vector import EXACT_SEARCH_MAX_ROWS
from vellarys.domain.cards import PropertyHit
from vellarys.domain.ports import Embedder, Vector
from vellarys.domain.property_search import (
    PropertyFilters,
    PropertySearch,
    filters_from_profile,
    passage_text,
    search_text,
    widenings,
)
from vellarys.errors import EmbeddingError, NotFound
from vellarys.services.tenant_memo import TenantMemo

__all__ = [
    "PropertySearch",
    "index_pending_properties",
    "index_property",
    "known_places",
    "lookup_code",
    "search_properties",
]

EMBED_BATCH = 32


def property_passage(prop: Property) -> str:
    return passage_text(
        title=prop.title,
        property_type=prop.property_type,
        transaction=prop.transaction,
        neighborhood=prop.neighborhood,
        city=prop.city,
        description=prop.description or "",
        features=[str(f) for f in prop.features or []],
    )


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def index_property(
    session: AsyncSession, embedder: Embedder, *, tenant_id: uuid.UUID, property_id: uuid.UUID
) -> None:
    """Embed one listing now (after it is created or edited)."""
    prop = await queries.get(session, tenant_id, property_id)
    if prop is None:
        raise NotFound("Imóvel não encontrado")
    await _embed(session, embedder, tenant_id, [prop])


async def index_pending_properties(
    session: AsyncSession, embedder: Embedder, *, tenant_id: uuid.UUID, limit: int = 500
) -> int:
    """Embed up to ``limit`` listings that have no embedding, an old model's, or old text.

    Returns how many were embedded; a job calls it until it returns 0.
    """
    rows = await queries.needing_embedding(
        session, tenant_id=tenant_id, model=embedder.model_name, limit=limit
    )
    stale: list[Property] = []
    unchanged: list[tuple[uuid.UUID, str, Vector | None]] = []
    for prop, model, content_hash in rows:
        digest = _hash(property_passage(prop))
        if model == embedder.model_name and content_hash == digest:
            unchanged.append((prop.id, digest, None))  # touched, text unchanged
        else:
            stale.append(prop)
    await upsert_embeddings(
        session, PropertyEmbedding, tenant_id=tenant_id, model=embedder.model_name, rows=unchanged
    )
    await _embed(session, embedder, tenant_id, stale)
    return len(stale)


async def _embed(
    session: AsyncSession, embedder: Embedder, tenant_id: uuid.UUID, props: Sequence[Property]
) -> None:
    for start in range(0, len(props), EMBED_BATCH):
        batch = props[start : start + EMBED_BATCH]
        texts = [property_passage(p) for p in batch]
        vectors = await asyncio.to_thread(embedder.passages, texts)
        if len(vectors) != len(batch):
            raise EmbeddingError(f"O modelo {embedder.model_name} devolveu vetores a menos")
        await upsert_embeddings(
            session,
            PropertyEmbedding,
            tenant_id=tenant_id,
            model=embedder.model_name,
            rows=[(p.id, _hash(t), v) for p, t, v in zip(batch, texts, vectors, strict=True)],
        )


# Every message needs the agency's place names and they change rarely: keep them a little while
# per process (measured: the DISTINCT over 20k listings was 6 ms of every message).
_places: TenantMemo[tuple[list[str], list[str]]] = TenantMemo(ttl_seconds=30.0)


def places_cached(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Whether ``known_places`` would answer from memory now (no SQL)."""
    return _places.get(session, tenant_id) is not None


async def known_places(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """The neighborhoods and the cities of the tenant's listings, in the agency's spelling."""
    cached = _places.get(session, tenant_id)
    if cached is not None:
        return cached
    pairs = await queries.places(session, tenant_id)
    return keep_places(session, tenant_id, [n for n, _ in pairs], [c for _, c in pairs])


def keep_places(
    session: AsyncSession, tenant_id: uuid.UUID, neighborhoods: list[str], cities: list[str]
) -> tuple[list[str], list[str]]:
    """Keep the places read (raw, as stored) for a while, as ``known_places`` returns them."""
    found = (
        sorted({n.strip() for n in neighborhoods if n.strip()}, key=str.casefold),
        sorted({c.strip() for c in cities if c.strip()}, key=str.casefold),
    )
    _places.put(session, tenant_id, found)
    return found


async def lookup_code(
    session: AsyncSession, *, tenant_id: uuid.UUID, code: str
) -> PropertyHit | None:
    """The available listing with this code ("ap1101", "AP-1101" and "AP1101" all match)."""
    prop = await queries.available_by_code(session, tenant_id, code)
    return to_hit(prop, score=1.0) if prop is not None else None


async def search_properties(
    session: AsyncSession,
    embedder: Embedder,
    *,
    tenant_id: uuid.UUID,
    profile: Mapping[str, Any],
    text: str,
    k: int = 3,
    exact_max_rows: int | None = None,
    exclude_codes: Sequence[str] = (),
    widen: bool = True,
) -> PropertySearch:
    """The ``k`` listings that best fit the lead: SQL filters from ``profile`` first, then
    ranked by similarity to ``text`` plus a summary of the profile (listings not embedded yet
    come last, closest in price first).

    When nothing passes the filters, they are relaxed one at a time (neighborhoods, budget,
    parking, bedrooms, property type; never rent vs sale) and ``widened`` names each one.
    ``exclude_codes`` are listings already shown: "mais opções" pages forward past them.
    """
    filters = replace(filters_from_profile(profile), exclude_codes=tuple(exclude_codes))
    limit = EXACT_SEARCH_MAX_ROWS if exact_max_rows is None else exact_max_rows
    # Every search below (widened ones too) keeps the transaction: its candidates are among
    # these embedded listings, so a small stock is searched exactly with no count of its own.
    listed, embedded = await queries.stock(
        session,
        tenant_id,
        transaction=filters.transaction,
        model=embedder.model_name,
        cap=limit + 1,
    )
    if not listed:  # nothing to find, however widened: no search, no query embedding
        steps = tuple(step for step, _ in widenings(filters)) if widen else ()
        return PropertySearch(hits=(), widened=steps)
    query = search_text(text, profile) if embedded else ""
    vec = await asyncio.to_thread(embedder.query, query) if query else None
    search = _Search(session, tenant_id, embedder.model_name, vec, k, limit, embedded)
    hits = await search.run(filters)
    widened: list[str] = []
    for step, relaxed in widenings(filters) if widen else ():
        if hits:
            break
        widened.append(step)
        hits = await search.run(relaxed)
    return PropertySearch(hits=tuple(hits), widened=tuple(widened))


class _Search:
    """One search's fixed inputs, run against successive filters."""

    def __init__(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        model: str,
        vec: Vector | None,
        k: int,
        exact_max_rows: int,
        at_most: int | None = None,
    ) -> None:
        self.session, self.tenant_id, self.model = session, tenant_id, model
        self.vec, self.k, self.exact_max_rows = vec, k, exact_max_rows
        self.at_most = at_most

    async def run(self, filters: PropertyFilters) -> list[PropertyHit]:
        if self.k <= 0:
            return []
        where = queries.conditions(self.tenant_id, filters)
        target = filters.price_target
        if not filters.pets:
            ranked = await self._ranked(where, target, self.k)
        else:
            # Listings that say "aceita pets" first, then those that say nothing either way.
            ranked = await self._ranked([*where, queries.pets_welcome()], target, self.k)
            if len(ranked) < self.k:
                seen = [p.id for p, _ in ranked]
                where = queries.conditions(self.tenant_id, filters, exclude=seen)
                ranked += await self._ranked(where, target, self.k - len(ranked))
        return [to_hit(p, score=score) for p, score in ranked]

    async def _ranked(
        self, where: list[ColumnElement[bool]], target: int | None, limit: int
    ) -> list[tuple[Property, float]]:
        """Embedded listings by similarity, then the not-yet-embedded ones by price."""
        ranked: list[tuple[Property, float]] = []
        if self.vec is not None:
            nearest = await queries.nearest(
                self.session,
                where,
                tenant_id=self.tenant_id,
                model=self.model,
                query=self.vec,
                k=limit,
                exact_max_rows=self.exact_max_rows,
                at_most=self.at_most,
            )
            ranked = [(p, 1.0 - distance) for p, distance in nearest]
        if len(ranked) < limit:
            rest = await queries.by_price(
                self.session,
                where,
                target=target,
                limit=limit - len(ranked),
                without_embedding_of=self.model if self.vec is not None else None,
            )
            ranked += [(p, 0.0) for p in rest]
        return ranked


def to_hit(prop: Property, *, score: float = 0.0) -> PropertyHit:
    return PropertyHit(
        code=prop.code,
        title=prop.title,
        property_type=prop.property_type,
        transaction=prop.transaction,
        price=int(prop.price),
        condo_fee=_money(prop.condo_fee),
        iptu=_money(prop.iptu),
        bedrooms=prop.bedrooms,
        suites=prop.suites,
        parking=prop.parking,
        area_m2=_money(prop.area_m2),
        neighborhood=prop.neighborhood,
        city=prop.city,
        features=tuple(str(f) for f in prop.features or ()),
        score=round(score, 4),
    )


def _money(value: Decimal | None) -> int | None:
    return None if value is None else int(value)
