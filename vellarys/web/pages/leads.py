"""The leads list: filters (including any profile field), sort, pages and CSV export."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.queries import dashboard as dashboard_queries
from vellarys.db.queries.page import parse_page_number
from vellarys.domain import lead_source
from vellarys.errors import BadRequest, Conflict
from vellarys.services import dashboard, lead_entry, leads
from vellarys.services.auth import Viewer
from vellarys.web.pages.forms import form_fields, form_file
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import flash, staff_work

router = APIRouter(route_class=WebRoute)
PER_PAGE = 25
SORT_LABELS = {
    "newest": "Mais novos",
    "last_message": "Última mensagem",
    "score": "Maior pontuação",
    "name": "Nome",
}

SOURCE_CHOICES = {
    **{s: lead_source.label(s) for s in lead_source.SOURCES if s != lead_source.PORTAL},
    lead_source.PORTAL: "Portais (todos)",
    **{f"portal:{k}": f"Portal · {v}" for k, v in lead_source.PORTAL_NAMES.items()},
}


@dataclass(frozen=True, slots=True)
class ListQuery:
    filters: leads.LeadFilters
    sort: str
    page: int


def _text(params: dict[str, str], key: str) -> str | None:
    value = params.get(key, "").strip()
    return value or None


def _parse(params: dict[str, str]) -> ListQuery:
    """The query string as filters; ``BadRequest`` with a Portuguese message when unreadable."""
    custom = {}
    if _text(params, "field") and _text(params, "value"):
        custom[params["field"].strip()] = params["value"].strip()
    filters = leads.LeadFilters(
        stage=_text(params, "stage"),
        temperature=_text(params, "temperature"),
        assigned_user_id=_assigned(_text(params, "assigned")),
        channel_id=_uuid(_text(params, "channel"), "Canal inválido."),
        created_from=_date(_text(params, "created_from")),
        created_to=_date(_text(params, "created_to")),
        text=_text(params, "q"),
        neighborhood=_text(params, "neighborhood"),
        budget_min=_int(_text(params, "budget_min")),
        budget_max=_int(_text(params, "budget_max")),
        custom=custom,
        source=_text(params, "source"),
        campaign=_text(params, "campaign"),
    )
    page = parse_page_number(params.get("page"))
    return ListQuery(filters=filters, sort=_text(params, "sort") or leads.DEFAULT_SORT, page=page)


def _assigned(value: str | None) -> uuid.UUID | Any:
    if value == leads.UNASSIGNED:
        return leads.UNASSIGNED
    return _uuid(value, "Corretor inválido.")


def _uuid(value: str | None, message: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError as exc:
        raise BadRequest(message) from exc


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise BadRequest(f"Data inválida: {value}. Use o formato AAAA-MM-DD.") from exc


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    digits = value.replace(".", "").replace("R$", "").strip()
    if not digits.isdigit():
        raise BadRequest(f"Número inválido: {value}.")
    return int(digits)


async def _options(session: AsyncSession, viewer: Viewer) -> dict[str, Any]:
    return {
        "staff": await dashboard_queries.staff(session, viewer.tenant_id, active_only=False),
        "channels": await dashboard_queries.channels(session, viewer.tenant_id),
        "custom_keys": await dashboard_queries.custom_keys(session, dashboard.scope_of(viewer)),
        "stages": leads.STAGES,
        "temperatures": leads.TEMPERATURES,
        "sorts": SORT_LABELS,
        "sources": SOURCE_CHOICES,
    }


@router.get("/leads")
async def lead_list(request: Request) -> Response:
    return await _list(request)


async def _list(request: Request, *, status: int = 200, **extra: Any) -> Response:
    params = dict(request.query_params)
    error, result = None, None
    async with staff_work(request) as (session, viewer):
        options = await _options(session, viewer)
        try:
            query = _parse(params)
            result = await leads.search_leads(
                session,
                tenant_id=viewer.tenant_id,
                filters=query.filters,
                sort=query.sort,
                page=query.page,
                per_page=PER_PAGE,
                visible_to=viewer.actor.visible_to,
            )
        except BadRequest as exc:  # nothing was written: only reads happen here
            error, status = exc.message, 400
    channel_names = {c.id: c.name for c in options["channels"]}
    filtered = any(v for k, v in params.items() if k not in ("page", "sort"))
    context = {
        **options,
        "params": params,
        "result": result,
        "error": error,
        "channel_names": channel_names,
        "filtered": filtered,
        "export_query": request.url.query,
        "new_error": None,
        "import_report": None,
        "import_error": None,
        **extra,
    }
    return render(request, "leads.html", context, status=status)


@router.post("/leads")
async def create(request: Request) -> Response:
    """A lead typed by staff (WhatsApp, name, where it came from)."""
    fields = await form_fields(request)
    try:
        async with staff_work(request) as (session, viewer):
            lead = await lead_entry.create_lead(
                session,
                viewer.actor,
                phone=fields.get("phone", ""),
                name=fields.get("name"),
                source=fields.get("source"),
            )
    except (BadRequest, Conflict) as exc:
        return await _list(request, status=exc.status_code, new_error=exc.message)
    flash(request, "Lead criado.")
    return RedirectResponse(f"/leads/{lead.id}", status_code=303)


@router.post("/leads/import")
async def import_csv(request: Request) -> Response:
    """Old leads from a CSV file: all or nothing, with what to fix on which line."""
    upload = await form_file(request, "file")
    content = await upload.read() if upload is not None else None
    try:
        async with staff_work(request, manager=True) as (session, viewer):
            if content is None:
                raise BadRequest("Escolha um arquivo CSV.")
            report = await lead_entry.import_csv(session, viewer.actor, content=content)
    except BadRequest as exc:
        return await _list(request, status=exc.status_code, import_error=exc.message)
    if not report.ok:
        return await _list(request, status=422, import_report=report)
    flash(request, f"Importação concluída: {report.created} novos, {report.updated} atualizados.")
    return RedirectResponse("/leads", status_code=303)


@router.get("/leads/export.csv")
async def export(request: Request) -> Response:
    async with staff_work(request) as (session, viewer):
        query = _parse(dict(request.query_params))
        text = await leads.export_csv(
            session,
            viewer.actor,
            filters=query.filters,
            sort=query.sort,
            query=request.url.query,
        )
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
    )
