"""Knowledge documents as the REST API manages them: upload with indexing, pages, delete."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import KnowledgeDocument
from vellarys.db.queries.lead_search import counted
from vellarys.services import knowledge
from vellarys.services.leads import Page, check_page

EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
}
CONTENT_TYPES = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "application/pdf": "pdf",
}


def source_type_of(filename: str | None, content_type: str | None) -> str | None:
    """text, markdown or pdf from the file's extension, else its content type; None if neither."""
    name = (filename or "").lower()
    for extension, source_type in EXTENSIONS.items():
        if name.endswith(extension):
            return source_type
    return CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())


async def upload_document(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    title: str,
    source_type: str,
    content: str | bytes,
    filename: str | None = None,
) -> KnowledgeDocument:
    """Store the document as ``pending`` and enqueue its indexing in the same transaction."""
    document = await knowledge.add_document(
        session,
        tenant_id=tenant_id,
        title=title,
        filename=filename,
        source_type=source_type,
        content=content,
    )
    await queue.defer_index_document(session, tenant_id=tenant_id, document_id=document.id)
    return document


async def list_documents(
    session: AsyncSession, *, tenant_id: uuid.UUID, page: int = 1, per_page: int = 25
) -> Page[KnowledgeDocument]:
    """The agency's documents, newest first."""
    check_page(page, per_page)
    where = [KnowledgeDocument.tenant_id == tenant_id]
    statement = (
        select(KnowledgeDocument, func.count().over().label("total"))
        .where(*where)
        .order_by(KnowledgeDocument.created_at.desc(), KnowledgeDocument.id)
    )
    items, total = await counted(
        session, statement, where, KnowledgeDocument, limit=per_page, offset=(page - 1) * per_page
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


async def remove_document(
    session: AsyncSession, *, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    """Delete the document; its chunks and embeddings go with it."""
    await knowledge.delete_document(session, tenant_id=tenant_id, document_id=document_id)
