"""The knowledge base: upload, list with indexing status, delete, and "what would it retrieve?"."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.errors import BadRequest, NotFound
from vellarys.services import dashboard, documents, knowledge
from vellarys.services.knowledge import MAX_DOCUMENT_BYTES
from vellarys.web.pages.forms import form_fields, form_file
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


async def _page(request: Request, *, status: int = 200, **extra: Any) -> Response:
    question = request.query_params.get("q", "").strip()
    hits: list[Any] = []
    async with staff_work(request) as (session, viewer):
        listed = await dashboard.documents(session, viewer)
        if question:
            hits = await knowledge.search_knowledge(
                session,
                container_of(request).embedder,
                tenant_id=viewer.tenant_id,
                query=question,
                k=5,
            )
    context = {
        "documents": listed,
        "question": question,
        "hits": hits,
        "error": None,
        "values": {},
        **extra,
    }
    return render(request, "knowledge.html", context, status=status)


@router.get("/knowledge")
async def knowledge_page(request: Request) -> Response:
    return await _page(request)


@router.post("/knowledge")
async def upload(request: Request) -> Response:
    fields, upload = await form_fields(request), await form_file(request, "file")
    content: str | bytes = fields.get("content", "")
    if upload is not None:
        content = await upload.read(MAX_DOCUMENT_BYTES + 1)
    try:
        async with staff_work(request, manager=True) as (session, viewer):
            document = await documents.upload_document(
                session,
                viewer.actor,
                title=fields.get("title"),
                content=content,
                source_type=None if upload is not None else "text",
                filename=upload.filename if upload is not None else None,
                content_type=upload.content_type if upload is not None else None,
                pdf=container_of(request).pdf,
            )
    except BadRequest as exc:
        return await _page(request, error=exc.message, values=fields, status=400)
    flash(request, f"“{document.title}” enviado: a indexação começa em instantes.")
    return RedirectResponse("/knowledge", status_code=303)


@router.post("/knowledge/{document_id}/delete")
async def delete(request: Request, document_id: str) -> Response:
    try:
        key = uuid.UUID(document_id)
    except ValueError as exc:
        raise NotFound("Documento não encontrado.") from exc
    async with staff_work(request, manager=True) as (session, viewer):
        await documents.remove_document(session, tenant_id=viewer.tenant_id, document_id=key)
    flash(request, "Documento excluído.")
    return RedirectResponse("/knowledge", status_code=303)
