"""The pipeline board: one column per stage; cards move by drag and drop or by their form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.errors import BadRequest
from vellarys.services import lead_acts, pipeline
from vellarys.web.pages.forms import form_fields
from vellarys.web.pages.lead import lead_key
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import flash, staff_work

router = APIRouter(route_class=WebRoute)


async def _board(request: Request, *, status: int = 200, **extra: Any) -> Response:
    async with staff_work(request) as (session, viewer):
        columns = await pipeline.board(session, viewer.actor)
        reasons = await pipeline.loss_reasons(session, viewer.tenant_id)
    context = {"columns": columns, "loss_reasons": reasons, "error": None, **extra}
    name = "partials/board.html" if request.headers.get("HX-Request") else "board.html"
    return render(request, name, context, status=status)


@router.get("/board")
async def board_page(request: Request) -> Response:
    return await _board(request)


@router.post("/board/{lead_id}/stage")
async def move(request: Request, lead_id: str) -> Response:
    """Move a card (a drop, or the card's own form): the board comes back redrawn; a refused
    move (lost without a reason) comes back as 422 with the board as it was."""
    key, fields = lead_key(lead_id), await form_fields(request)
    try:
        async with staff_work(request) as (session, viewer):
            await lead_acts.change_stage(
                session,
                viewer.actor,
                lead_id=key,
                stage=fields.get("stage", ""),
                loss_reason=fields.get("loss_reason") or None,
            )
    except BadRequest as exc:
        if not request.headers.get("HX-Request"):
            flash(request, exc.message, "error")
            return RedirectResponse("/board", status_code=303)
        return await _board(request, status=422, error=exc.message)
    if not request.headers.get("HX-Request"):
        flash(request, "Etapa atualizada.")
        return RedirectResponse("/board", status_code=303)
    return await _board(request)
