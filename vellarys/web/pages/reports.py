"""Reports (admins and managers; brokers get 403): the period's figures, the brokers' ranking
with their monthly goals, and the same report as CSV, Excel and PDF."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.queries.dashboard import staff
from vellarys.domain.report import PRESETS, Period, Report, tables
from vellarys.services import reports
from vellarys.services.auth import Viewer
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


async def _report(request: Request, session: Any, viewer: Viewer) -> tuple[Period, Report]:
    query = request.query_params
    chosen = await reports.choose_period(
        session,
        viewer,
        preset=query.get("preset"),
        first=query.get("from"),
        last=query.get("to"),
        now=container_of(request).clock.now(),
    )
    return chosen, await reports.build_report(session, viewer, chosen=chosen)


@router.get("/reports")
async def reports_page(request: Request) -> Response:
    async with staff_work(request, manager=True) as (session, viewer):
        chosen, report = await _report(request, session, viewer)
        brokers = [u for u in await staff(session, viewer.tenant_id) if u.role != "admin"]
        goals = await reports.goals_of(session, viewer, month=chosen.month)
        agency_goal = await reports.agency_goal_of(session, viewer, month=chosen.month)
    keep = {"from": chosen.first.isoformat(), "to": chosen.last.isoformat()}
    context = {
        "report": report,
        "tables": tables(report),
        "period": chosen,
        "presets": PRESETS,
        "query": urlencode(keep),
        "brokers": brokers,
        "goals": goals,
        "agency_goal": agency_goal,
        "goal_month": (chosen.month or chosen.last.replace(day=1)).strftime("%Y-%m"),
    }
    return render(request, "reports.html", context)


async def _export(request: Request, fmt: str) -> Response:
    async with staff_work(request, manager=True) as (session, viewer):
        _, report = await _report(request, session, viewer)
    made = await reports.export_report(report, fmt=fmt)
    disposition = f'attachment; filename="{made.filename}"'
    return Response(
        made.content, media_type=made.media_type, headers={"Content-Disposition": disposition}
    )


@router.get("/reports.csv")
async def export_csv(request: Request) -> Response:
    return await _export(request, "csv")


@router.get("/reports.xlsx")
async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


@router.get("/reports.pdf")
async def export_pdf(request: Request) -> Response:
    return await _export(request, "pdf")


@router.post("/reports/goals/{user_id}")
async def save_goal(request: Request, user_id: uuid.UUID) -> Response:
    """An admin sets a broker's goals for a month."""
    fields = await form_fields(request)
    month = fields.get("month", "")
    async with staff_work(request, admin=True) as (session, viewer):
        await reports.set_goal(
            session,
            viewer,
            user_id=user_id,
            month=month,
            visits=fields.get("visits", ""),
            won=fields.get("won", ""),
        )
    return _back_to_month(request, month)


@router.post("/reports/agency-goal")
async def save_agency_goal(request: Request) -> Response:
    """An admin sets the whole agency's goals for a month."""
    fields = await form_fields(request)
    month = fields.get("month", "")
    async with staff_work(request, admin=True) as (session, viewer):
        await reports.set_agency_goal(
            session,
            viewer,
            month=month,
            leads=fields.get("leads", ""),
            visits=fields.get("visits", ""),
            won=fields.get("won", ""),
        )
    return _back_to_month(request, month)


def _back_to_month(request: Request, month: str) -> Response:
    flash(request, "Metas salvas.")
    first = reports.parse_month(month)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    keep = urlencode({"from": first.isoformat(), "to": last.isoformat()})
    return RedirectResponse(f"/reports?{keep}", status_code=303)
