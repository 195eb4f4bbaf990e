"""The knowledge base: upload (JSON text or a file), list, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from vellarys.api.deps import get_container
from vellarys.api.v1.auth import Auth
from vellarys.api.v1.schemas import DocumentOut, DocumentPageOut, KnowledgeIn, errors
from vellarys.db.models import KnowledgeDocument
from vellarys.db.queries.page import MAX_PAGE, MAX_PER_PAGE
from vellarys.services import documents
from vellarys.services.knowledge import MAX_DOCUMENT_BYTES

router = APIRouter(prefix="/knowledge", tags=["knowledge"])


def document_out(document: KnowledgeDocument) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        title=document.title,
        filename=document.filename,
        source_type=document.source_type,
        status=document.status,
        error=document.error,
        characters=len(document.content),
        created_at=document.created_at,
        updated_at=document.updated_at,
    )


@router.post("", status_code=201, response_model=DocumentOut, responses=errors(400, 422))
async def add_text(body: KnowledgeIn, auth: Auth) -> DocumentOut:
    """Add a text or Markdown document; it is indexed by the worker (``status`` pending → ready)."""
    async with auth.session() as (session, caller):
        document = await documents.upload_document(
            session,
            caller.actor,
            title=body.title,
            source_type=body.source_type,
            content=body.content,
        )
        await session.refresh(document)
        return document_out(document)


@router.post("/upload", status_code=201, response_model=DocumentOut, responses=errors(400, 422))
async def upload_file(
    request: Request,
    auth: Auth,
    file: Annotated[UploadFile, File(description="A .txt, .md or .pdf file (10 MB at most).")],
    title: Annotated[str | None, Form(description="Defaults to the file name.")] = None,
) -> DocumentOut:
    """Upload a text, Markdown or PDF file; it is indexed by the worker."""
    content = await file.read(MAX_DOCUMENT_BYTES + 1)
    async with auth.session() as (session, caller):
        document = await documents.upload_document(
            session,
            caller.actor,
            title=title,
            content=content,
            filename=file.filename,
            content_type=file.content_type,
            pdf=get_container(request).pdf,
        )
        await session.refresh(document)
        return document_out(document)


@router.get("", response_model=DocumentPageOut, responses=errors(400, 422))
async def list_documents(
    auth: Auth,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 25,
) -> DocumentPageOut:
    """The agency's documents, newest first."""
    async with auth.session() as (session, caller):
        found = await documents.list_documents(
            session, tenant_id=caller.tenant_id, page=page, per_page=per_page
        )
        items = [document_out(d) for d in found.items]
    return DocumentPageOut(items=items, total=found.total, page=found.page, per_page=found.per_page)


@router.delete("/{document_id}", status_code=204, responses=errors(404, 422))
async def delete_document(document_id: uuid.UUID, auth: Auth) -> Response:
    """Delete the document with its chunks; the assistant stops citing it at once."""
    async with auth.session() as (session, caller):
        await documents.remove_document(
            session, tenant_id=caller.tenant_id, document_id=document_id
        )
    return Response(status_code=204)
