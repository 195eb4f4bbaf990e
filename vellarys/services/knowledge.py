"""The agency's knowledge base: add, index, delete and search documents."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.pdf import PdfReader
from vellarys.db.models import KnowledgeDocument, KnowledgeEmbedding
from vellarys.db.models.knowledge import SOURCE_TYPES
from vellarys.db.queries import knowledge as queries
from vellarys.db.queries.embedding import upsert_embeddings
from vellarys.db.queries.vector import EXACT_SEARCH_MAX_ROWS
from vellarys.domain.cards import KnowledgeHit
from vellarys.domain.chunking import embedding_text, split_text
from vellarys.domain.ports import Embedder, Vector
from vellarys.errors import BadRequest, EmbeddingError, NotFound
from vellarys.services.property_search import index_pending_properties

log = logging.getLogger(__name__)

__all__ = [
    "EXACT_SEARCH_MAX_ROWS",
    "add_document",
    "delete_document",
    "index_document",
    "reindex_stale",
    "search_knowledge",
]

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_CHARS = 500_000
MAX_TITLE_CHARS = 300
EMBED_BATCH = 32
# Nearest chunks fetched per requested hit, so that k distinct documents usually come back.
CANDIDATES_PER_HIT = 4


async def add_document(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    title: str,
    filename: str | None,
    source_type: str,
    content: str | bytes,
    pdf: PdfReader | None = None,
) -> KnowledgeDocument:
    """Store a new document as ``pending``; ``index_document`` makes it searchable.

    PDF content comes as bytes, read by ``pdf`` (off the event loop, with a time budget);
    text and Markdown as str or UTF-8 bytes. Bad input raises ``BadRequest`` with a message
    for the agency, before anything is written.
    """
    text = await _document_text(source_type, content, pdf or _DEFAULT_PDF)
    title = title.strip()
    if not title:
        raise BadRequest("Informe um título para o documento")
    if len(title) > MAX_TITLE_CHARS or len(filename or "") > MAX_TITLE_CHARS:
        raise BadRequest(f"O título e o nome do arquivo têm no máximo {MAX_TITLE_CHARS} caracteres")
    document = KnowledgeDocument(
        tenant_id=tenant_id,
        title=title,
        filename=filename,
        source_type=source_type,
        content=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        status="pending",
    )
    session.add(document)
    await session.flush()
    return document


_DEFAULT_PDF = PdfReader()


async def _document_text(source_type: str, content: str | bytes, pdf: PdfReader) -> str:
    if source_type not in SOURCE_TYPES:
        raise BadRequest(f"Tipo de documento desconhecido: use {', '.join(SOURCE_TYPES)}")
    size = len(content) if isinstance(content, bytes) else len(content.encode())
    if size > MAX_DOCUMENT_BYTES:
        raise BadRequest(f"O documento passa de {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    if source_type == "pdf":
        if not isinstance(content, bytes):
            raise BadRequest("Envie o PDF como arquivo")
        text = await pdf.text(content)
    elif isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadRequest("O arquivo precisa estar em UTF-8") from exc
    else:
        text = content
    # PostgreSQL text cannot hold NUL characters; PDFs and pasted text sometimes carry them.
    text = text.replace("\x00", "").strip()
    if not text:
        raise BadRequest("O documento está vazio" if source_type != "pdf" else _PDF_NO_TEXT)
    if len(text) > MAX_DOCUMENT_CHARS:
        raise BadRequest(f"O documento passa de {MAX_DOCUMENT_CHARS} caracteres")
    return text


_PDF_NO_TEXT = "O PDF não tem texto (é uma imagem digitalizada?)"


async def index_document(
    session: AsyncSession, embedder: Embedder, *, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> int:
    """Chunk and embed the document, replacing its old chunks; returns the number of chunks.

    The document ends ``ready``, or ``failed`` with the error when the embedder fails; a failed
    run leaves the previous chunks in place, so the last good version stays searchable.
    """
    document = await queries.get_document(session, tenant_id, document_id)
    if document is None:
        raise NotFound("Documento não encontrado")
    chunks = [c.content for c in split_text(document.content)]
    if not chunks:
        return await _failed(session, document, "O documento não tem texto para indexar")
    try:
        vectors = await embed_passages(
            embedder, [embedding_text(document.title, c) for c in chunks]
        )
    except EmbeddingError as exc:
        log.warning("indexing document %s failed: %s", document_id, exc.message)
        return await _failed(session, document, exc.message)
    await queries.replace_chunks(
        session,
        tenant_id=tenant_id,
        document_id=document_id,
        model=embedder.model_name,
        chunks=list(zip(chunks, vectors, strict=True)),
    )
    document.status, document.error = "ready", None
    await session.flush()
    return len(chunks)


async def _failed(session: AsyncSession, document: KnowledgeDocument, error: str) -> int:
    document.status, document.error = "failed", error
    await session.flush()
    return 0


async def embed_passages(embedder: Embedder, texts: Sequence[str]) -> list[Vector]:
    """Embed in batches, off the event loop (the model is CPU-bound or a blocking HTTP call)."""
    vectors: list[Vector] = []
    for start in range(0, len(texts), EMBED_BATCH):
        batch = list(texts[start : start + EMBED_BATCH])
        vectors.extend(await asyncio.to_thread(embedder.passages, batch))
    if len(vectors) != len(texts) or any(v.shape != (embedder.dimension,) for v in vectors):
        raise EmbeddingError(f"O modelo {embedder.model_name} devolveu vetores inválidos")
    return vectors


async def delete_document(
    session: AsyncSession, *, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    """Delete the document with its chunks; ``NotFound`` when the tenant has no such document."""
    if not await queries.delete_document(session, tenant_id, document_id):
        raise NotFound("Documento não encontrado")


async def search_knowledge(
    session: AsyncSession,
    embedder: Embedder,
    *,
    tenant_id: uuid.UUID,
    query: str,
    k: int = 3,
    exact_max_rows: int | None = None,
) -> list[KnowledgeHit]:
    """The ``k`` chunks nearest to ``query``, best first, at most one per document while
    other documents remain; fewer only when the tenant has fewer than ``k`` chunks.

    Exact search below ``exact_max_rows`` embeddings (default ``EXACT_SEARCH_MAX_ROWS``),
    HNSW above, see ``vellarys.db.queries.vector``. Score is the cosine similarity.
    """
    if k <= 0 or not query.strip():
        return []
    limit = EXACT_SEARCH_MAX_ROWS if exact_max_rows is None else exact_max_rows
    # Embedding the query costs tens of milliseconds of CPU: not for an empty knowledge base.
    # The count also spares the search its own (a small base is searched exactly).
    embedded = await queries.embedded_count(session, tenant_id, embedder.model_name, cap=limit + 1)
    if not embedded:
        return []
    vec = await asyncio.to_thread(embedder.query, query)
    found = await queries.nearest_chunks(
        session,
        tenant_id=tenant_id,
        model=embedder.model_name,
        query=vec,
        limit=k * CANDIDATES_PER_HIT,
        exact_max_rows=limit,
        at_most=embedded,
    )
    texts = await queries.chunk_texts(session, tenant_id, [row.chunk_id for row in found.rows])
    ranked = [
        _Ranked(
            document_id=doc,
            title=title,
            content=content,
            document=filename or title,
            score=1.0 - float(row.distance),
        )
        for row in found.rows
        if row.chunk_id in texts
        for doc, content, title, filename in [texts[row.chunk_id]]
    ]
    return [
        KnowledgeHit(
            title=r.title,
            content=r.content,
            score=r.score,
            document=r.document,
            document_id=r.document_id,
        )
        for r in _one_per_document(ranked, k)
    ]


@dataclass(frozen=True, slots=True)
class _Ranked:
    document_id: uuid.UUID
    title: str
    content: str
    document: str
    score: float


def _one_per_document(ranked: Sequence[_Ranked], k: int) -> list[_Ranked]:
    first: list[_Ranked] = []
    rest: list[_Ranked] = []
    seen: set[uuid.UUID] = set()
    for hit in ranked:
        (rest if hit.document_id in seen else first).append(hit)
        seen.add(hit.document_id)
    # With fewer than k documents, the next-best chunks of the same documents fill in.
    chosen = first[:k] + rest[: max(0, k - len(first))]
    return sorted(chosen, key=lambda hit: -hit.score)


async def reindex_stale(
    session: AsyncSession, embedder: Embedder, *, tenant_id: uuid.UUID, limit: int = 500
) -> int:
    """Re-embed up to ``limit`` chunks, then properties, not embedded with the current model.

    For the background job that follows a change of embedding model (or content, for
    properties); call it until it returns 0.
    """
    stale = await queries.stale_chunks(
        session, tenant_id=tenant_id, model=embedder.model_name, limit=limit
    )
    if stale:
        vectors = await embed_passages(
            embedder, [embedding_text(title, content) for _, title, content in stale]
        )
        rows = [(chunk_id, None, v) for (chunk_id, _, _), v in zip(stale, vectors, strict=True)]
        await upsert_embeddings(
            session, KnowledgeEmbedding, tenant_id=tenant_id, model=embedder.model_name, rows=rows
        )
    done = len(stale)
    if done < limit:
        done += await index_pending_properties(
            session, embedder, tenant_id=tenant_id, limit=limit - done
        )
    return done
