"""The overview: how many leads, how warm, where in the funnel, how fast the first answer, and
the month's ranking and agency goal (a broker sees only their own line)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vellarys.db.models.lead import STAGES, TEMPERATURES
from vellarys.services import dashboard, intake, reports, sales
from vellarys.web.render import ZONE, render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, staff_work

router = APIRouter(route_class=WebRoute)


@router.get("/")
async def overview(request: Request) -> Response:
    now = container_of(request).clock.now()
    today = now.astimezone(ZONE).date()
    async with staff_work(request) as (session, viewer):
        counts = await dashboard.overview(session, viewer, today=today)
        figures = await sales.sales_figures(session, dashboard.scope_of(viewer), now=now)
        standing = await reports.month_standing(session, viewer, now=now)
        sources = await intake.leads_by_source(
            session, tenant_id=viewer.tenant_id, visible_to=viewer.actor.visible_to
        )
    peak = max((n for _, n in counts.per_day), default=0)
    context = {
        "counts": counts,
        "sales": figures,
        "peak": max(peak, 1),
        "stages": STAGES,
        "temperatures": TEMPERATURES,
        "stage_peak": max(max(counts.stages.values(), default=0), 1),
        "temp_total": max(sum(counts.temperatures.values()), 1),
        "sources": sources,
        "standing": standing,
    }
    return render(request, "overview.html", context)
