"""Knowledge documents as staff manage them (dashboard and REST API): upload, pages, delete."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.pdf import PdfReader
from vellarys.db import queue
from vellarys.db.models import KnowledgeDocument
from vellarys.db.queries.page import Page, fetch_page, page_request
from vellarys.domain.glossary import AuditAction
from vellarys.errors import BadRequest
from vellarys.services import knowledge
from vellarys.services.audit import DOCUMENT, Actor, record_act

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
    actor: Actor,
    *,
    title: str | None,
    content: str | bytes,
    source_type: str | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    pdf: PdfReader | None = None,
) -> KnowledgeDocument:
    """Store the document as ``pending``, enqueue its indexing in the same transaction and
    record the upload. The type is ``source_type``, else read from the file's name or
    content type; the title defaults to the file's name."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1] or None
    kind = source_type or source_type_of(name, content_type)
    if kind is None:
        raise BadRequest("Envie um arquivo .txt, .md ou .pdf.")
    title = (title or "").strip() or (name or "").rsplit(".", 1)[0].strip() or "Documento"
    document = await knowledge.add_document(
        session,
        tenant_id=actor.tenant_id,
        title=title,
        filename=name,
        source_type=kind,
        content=content,
        pdf=pdf,
    )
    await queue.defer_index_document(session, tenant_id=actor.tenant_id, document_id=document.id)
    await record_act(
        session, actor, AuditAction.DOCUMENT_UPLOADED, target_type=DOCUMENT, target_id=document.id
    )
    return document


async def list_documents(
    session: AsyncSession, *, tenant_id: uuid.UUID, page: int = 1, per_page: int = 25
) -> Page[KnowledgeDocument]:
    """The agency's documents, newest first."""
    where = [KnowledgeDocument.tenant_id == tenant_id]
    order = [KnowledgeDocument.created_at.desc(), KnowledgeDocument.id]
    return await fetch_page(session, KnowledgeDocument, where, order, page_request(page, per_page))


async def remove_document(
    session: AsyncSession, *, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    """Delete the document; its chunks and embeddings go with it."""
    await knowledge.delete_document(session, tenant_id=tenant_id, document_id=document_id)
