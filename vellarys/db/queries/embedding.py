"""Storing embeddings: the one upsert for listing and knowledge-chunk vectors, and reading an
agency's stored passage vectors back (the demo's shipped vectors are exported from them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import (
    KnowledgeChunk,
    KnowledgeDocument,
    KnowledgeEmbedding,
    PropertyEmbedding,
    Tenant,
)
from vellarys.domain.ports import Vector

EmbeddingTable = type[PropertyEmbedding] | type[KnowledgeEmbedding]
# (id of what was embedded, hash of the embedded text or None, vector or None)
EmbeddingRow = tuple[uuid.UUID, str | None, Vector | None]
_OWNER = {PropertyEmbedding: "property_id", KnowledgeEmbedding: "chunk_id"}


async def upsert_embeddings(
    session: AsyncSession,
    table: EmbeddingTable,
    *,
    tenant_id: uuid.UUID,
    model: str,
    rows: Sequence[EmbeddingRow],
) -> None:
    """Store each row's vector (replacing an older one); a row without a vector only marks
    its stored embedding as seen now (its text did not change)."""
    owner = _OWNER[table]
    changed = [row for row in rows if row[2] is not None]
    if changed:
        statement = insert(table)
        replaced: dict[str, Any] = {
            "model": statement.excluded.model,
            "embedding": statement.excluded.embedding,
            "updated_at": func.now(),
        }
        if table is PropertyEmbedding:
            replaced["content_hash"] = statement.excluded.content_hash
        values = [_values(table, owner, tenant_id, model, row) for row in changed]
        upsert = statement.on_conflict_do_update(index_elements=[owner], set_=replaced)
        await session.execute(upsert, values)
    seen = [row[0] for row in rows if row[2] is None]
    if seen:
        owner_column = getattr(table, owner)
        await session.execute(
            update(table)
            .where(table.tenant_id == tenant_id, owner_column.in_(seen))
            .values(updated_at=func.now())
        )


def _values(
    table: EmbeddingTable, owner: str, tenant_id: uuid.UUID, model: str, row: EmbeddingRow
) -> dict[str, Any]:
    owner_id, content_hash, vector = row
    values = {"id": uuid.uuid4(), "tenant_id": tenant_id, owner: owner_id, "model": model}
    values["embedding"] = vector
    if table is PropertyEmbedding:
        values["content_hash"] = content_hash
    return values


async def listing_vectors(
    session: AsyncSession, *, slug: str, model: str
) -> Sequence[tuple[str | None, Any]]:
    """(content hash, vector) of every listing vector of ``model`` the agency ``slug`` stores."""
    tenant = select(Tenant.id).where(Tenant.slug == slug).scalar_subquery()
    rows = await session.execute(
        select(PropertyEmbedding.content_hash, PropertyEmbedding.embedding).where(
            PropertyEmbedding.tenant_id == tenant, PropertyEmbedding.model == model
        )
    )
    return rows.tuples().all()


async def chunk_vectors(
    session: AsyncSession, *, slug: str, model: str
) -> Sequence[tuple[str, str, Any]]:
    """(document title, chunk text, vector) of every knowledge vector of ``model`` of ``slug``."""
    tenant = select(Tenant.id).where(Tenant.slug == slug).scalar_subquery()
    rows = await session.execute(
        select(KnowledgeDocument.title, KnowledgeChunk.content, KnowledgeEmbedding.embedding)
        .join(KnowledgeChunk, KnowledgeChunk.document_id == KnowledgeDocument.id)
        .join(KnowledgeEmbedding, KnowledgeEmbedding.chunk_id == KnowledgeChunk.id)
        .where(KnowledgeDocument.tenant_id == tenant, KnowledgeEmbedding.model == model)
    )
    return rows.tuples().all()
