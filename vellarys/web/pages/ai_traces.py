"""The lead's LLM traces, for the agency's admins: what the model was asked, which tools it
called, which drafts were refused and why, rounds, tokens and latency of each reply."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vellarys.domain import glossary
from vellarys.services import llm_traces
from vellarys.web.pages.lead import lead_key
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import staff_work

router = APIRouter(route_class=WebRoute)


@router.get("/leads/{lead_id}/ai")
async def lead_ai_traces(request: Request, lead_id: str) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        traces = await llm_traces.lead_traces(session, viewer, lead_key(lead_id))
    return render(
        request,
        "lead_traces.html",
        {"traces": traces, "lead_id": lead_key(lead_id), "outcomes": glossary.LLM_OUTCOME_LABELS},
    )
