"""Knowledge-base queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import KnowledgeChunk, KnowledgeDocument, KnowledgeEmbedding
from vellarys.db.queries import vector
from vellarys.db.queries.embedding import upsert_embeddings
from vellarys.domain.ports import Vector


async def get_document(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> KnowledgeDocument | None:
    found = await session.execute(
        select(KnowledgeDocument).where(
            KnowledgeDocument.tenant_id == tenant_id, KnowledgeDocument.id == document_id
        )
    )
    return found.scalar_one_or_none()


async def delete_document(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> bool:
    """Delete the document; its chunks and embeddings go with it (ON DELETE CASCADE)."""
    result = await session.execute(
        delete(KnowledgeDocument)
        .where(KnowledgeDocument.tenant_id == tenant_id, KnowledgeDocument.id == document_id)
        .returning(KnowledgeDocument.id)
    )
    return result.scalar_one_or_none() is not None


async def replace_chunks(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    model: str,
    chunks: Sequence[tuple[str, Vector]],
) -> None:
    """Swap the document's chunks and embeddings for ``chunks`` (content, vector), in order."""
    await session.execute(
        delete(KnowledgeChunk).where(
            KnowledgeChunk.tenant_id == tenant_id, KnowledgeChunk.document_id == document_id
        )
    )
    if not chunks:
        return
    ids = [uuid.uuid4() for _ in chunks]
    await session.execute(
        insert(KnowledgeChunk),
        [
            {
                "id": chunk_id,
                "tenant_id": tenant_id,
                "document_id": document_id,
                "position": position,
                "content": content,
            }
            for position, (chunk_id, (content, _)) in enumerate(zip(ids, chunks, strict=True))
        ],
    )
    await upsert_embeddings(
        session,
        KnowledgeEmbedding,
        tenant_id=tenant_id,
        model=model,
        rows=[(chunk_id, None, vec) for chunk_id, (_, vec) in zip(ids, chunks, strict=True)],
    )


async def stale_chunks(
    session: AsyncSession, *, tenant_id: uuid.UUID, model: str, limit: int
) -> list[tuple[uuid.UUID, str, str]]:
    """(chunk id, document title, chunk content) of chunks not embedded with ``model``."""
    found = await session.execute(
        select(KnowledgeChunk.id, KnowledgeDocument.title, KnowledgeChunk.content)
        .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
        .outerjoin(KnowledgeEmbedding, KnowledgeEmbedding.chunk_id == KnowledgeChunk.id)
        .where(
            KnowledgeChunk.tenant_id == tenant_id,
            KnowledgeDocument.tenant_id == tenant_id,
            or_(KnowledgeEmbedding.id.is_(None), KnowledgeEmbedding.model != model),
        )
        .order_by(KnowledgeChunk.document_id, KnowledgeChunk.position)
        .limit(limit)
    )
    return [(a, b, c) for a, b, c in found]


def chunk_candidates(tenant_id: uuid.UUID, model: str, query: Vector) -> tuple[Select[Any], Any]:
    """The tenant's embeddings of ``model`` with their distance to ``query``.

    Only the embedding table: the top-k is planned on it alone (HNSW or btree + sort) and the
    chunk text is fetched afterwards for the few winners.
    """
    distance = KnowledgeEmbedding.embedding.cosine_distance(query)
    statement = select(KnowledgeEmbedding.chunk_id, distance.label("distance")).where(
        KnowledgeEmbedding.tenant_id == tenant_id, KnowledgeEmbedding.model == model
    )
    return statement, distance


async def embedded_count(
    session: AsyncSession, tenant_id: uuid.UUID, model: str, *, cap: int
) -> int:
    """How many of the tenant's chunks are embedded with ``model``, counting stops at ``cap``."""
    some = (
        select(literal_column("1"))
        .select_from(KnowledgeEmbedding)
        .where(KnowledgeEmbedding.tenant_id == tenant_id, KnowledgeEmbedding.model == model)
        .limit(cap)
        .subquery()
    )
    return int((await session.execute(select(func.count()).select_from(some))).scalar_one())


async def nearest_chunks(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    model: str,
    query: Vector,
    limit: int,
    exact_max_rows: int = vector.EXACT_SEARCH_MAX_ROWS,
    at_most: int | None = None,
) -> vector.Nearest:
    """The ``limit`` nearest chunk ids with distances (see ``vector.nearest``)."""
    statement, distance = chunk_candidates(tenant_id, model, query)
    return await vector.nearest(
        session, statement, distance, k=limit, exact_max_rows=exact_max_rows, at_most=at_most
    )


async def chunk_texts(
    session: AsyncSession, tenant_id: uuid.UUID, chunk_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str, str, str | None]]:
    """chunk id -> (document id, chunk content, document title, document filename)."""
    if not chunk_ids:
        return {}
    found = await session.execute(
        select(
            KnowledgeChunk.id,
            KnowledgeChunk.document_id,
            KnowledgeChunk.content,
            KnowledgeDocument.title,
            KnowledgeDocument.filename,
        )
        .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
        .where(
            KnowledgeChunk.tenant_id == tenant_id,
            KnowledgeDocument.tenant_id == tenant_id,
            KnowledgeChunk.id.in_(list(chunk_ids)),
        )
    )
    return {
        chunk_id: (doc, content, title, filename)
        for chunk_id, doc, content, title, filename in found
    }


async def document_ids(
    session: AsyncSession, tenant_id: uuid.UUID, *, unready_only: bool = False
) -> list[uuid.UUID]:
    query = select(KnowledgeDocument.id).where(KnowledgeDocument.tenant_id == tenant_id)
    if unready_only:
        query = query.where(KnowledgeDocument.status != "ready")
    found = await session.execute(query)
    return list(found.scalars())
