"""Listings: list, create, edit, deactivate, and an all-or-nothing CSV import."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.queries.page import MAX_PER_PAGE, parse_page_number
from vellarys.domain.glossary import PROPERTY_TYPE_LABELS, TRANSACTION_LABELS
from vellarys.domain.listing_input import FIELDS, listing_from_text
from vellarys.errors import BadRequest, NotFound
from vellarys.services import catalog, feeds, staff
from vellarys.services.catalog import InvalidListing
from vellarys.web.pages.forms import form_fields, form_file
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


def _key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("Imóvel não encontrado.") from exc


async def _list(request: Request, **extra: Any) -> Response:
    status = extra.pop("status", 200)
    q = request.query_params.get("q", "")
    async with staff_work(request) as (session, viewer):
        page = await catalog.list_listings(
            session,
            tenant_id=viewer.tenant_id,
            text=q,
            page=parse_page_number(request.query_params.get("page")),
            per_page=MAX_PER_PAGE,
        )
        feed = await feeds.get_feed(session, tenant_id=viewer.tenant_id)
    context = {"items": page.items, "result": page, "q": q, "report": None, "feed": feed, **extra}
    return render(request, "properties.html", context, status=status)


@router.get("/properties")
async def properties(request: Request) -> Response:
    return await _list(request)


def _form_values(prop: Any) -> dict[str, str]:
    values = {f: "" if getattr(prop, f) is None else str(getattr(prop, f)) for f in FIELDS}
    values["features"] = " | ".join(str(f) for f in prop.features or [])
    values["photos"] = "\n".join(str(p) for p in prop.photos or [])
    return values


def _form(
    request: Request,
    *,
    values: dict[str, str],
    prop_id: uuid.UUID | None,
    errors: list[str] | None = None,
    status: int = 200,
    brokers: list[Any] | None = None,
    broker_id: uuid.UUID | None = None,
) -> Response:
    context = {
        "brokers": brokers or [],
        "broker_id": broker_id,
        "values": values,
        "prop_id": prop_id,
        "errors": errors or [],
        "types": PROPERTY_TYPE_LABELS,
        "transactions": TRANSACTION_LABELS,
    }
    return render(request, "property_form.html", context, status=status)


@router.get("/properties/new")
async def new_property(request: Request) -> Response:
    async with staff_work(request, manager=True):
        pass
    return _form(request, values={"state": "SP"}, prop_id=None)


@router.post("/properties")
async def create(request: Request) -> Response:
    fields = await form_fields(request)
    try:
        async with staff_work(request, manager=True) as (session, viewer):
            listing = listing_from_text(fields)
            prop = await catalog.create_listing(
                session, tenant_id=viewer.tenant_id, listing=listing
            )
    except InvalidListing as exc:
        return _form(request, values=fields, prop_id=None, errors=exc.errors, status=422)
    flash(request, f"Imóvel {prop.code} cadastrado.")
    return RedirectResponse("/properties", status_code=303)


@router.get("/properties/{prop_id}/edit")
async def edit(request: Request, prop_id: str) -> Response:
    async with staff_work(request, manager=True) as (session, viewer):
        prop = await catalog.get_listing(
            session, tenant_id=viewer.tenant_id, property_id=_key(prop_id)
        )
        values = _form_values(prop)
        team = await staff.list_users(session, viewer.tenant_id)
    brokers = [u for u in team if u.active]
    return _form(request, values=values, prop_id=prop.id, brokers=brokers, broker_id=prop.broker_id)


@router.post("/properties/{prop_id}/broker")
async def set_broker(request: Request, prop_id: str) -> Response:
    """The listing's own broker: leads asking about it go to them first."""
    fields, key = await form_fields(request), _key(prop_id)
    try:
        chosen = uuid.UUID(fields["user_id"]) if fields.get("user_id") else None
    except ValueError as exc:
        raise BadRequest("Corretor inválido.") from exc
    async with staff_work(request, manager=True) as (session, viewer):
        prop = await catalog.set_listing_broker(
            session, tenant_id=viewer.tenant_id, property_id=key, user_id=chosen
        )
    flash(request, f"Corretor do imóvel {prop.code} atualizado.")
    return RedirectResponse(f"/properties/{prop.id}/edit", status_code=303)


@router.post("/properties/{prop_id}/edit")
async def update(request: Request, prop_id: str) -> Response:
    fields, key = await form_fields(request), _key(prop_id)
    try:
        async with staff_work(request, manager=True) as (session, viewer):
            prop = await catalog.update_listing(
                session, tenant_id=viewer.tenant_id, property_id=key, form=fields
            )
    except InvalidListing as exc:
        return _form(request, values=fields, prop_id=key, errors=exc.errors, status=422)
    flash(request, f"Imóvel {prop.code} atualizado.")
    return RedirectResponse("/properties", status_code=303)


@router.post("/properties/{prop_id}/deactivate")
async def deactivate(request: Request, prop_id: str) -> Response:
    return await _availability(request, prop_id, available=False)


@router.post("/properties/{prop_id}/activate")
async def activate(request: Request, prop_id: str) -> Response:
    return await _availability(request, prop_id, available=True)


async def _availability(request: Request, prop_id: str, *, available: bool) -> Response:
    async with staff_work(request, manager=True) as (session, viewer):
        prop = await catalog.update_listing(
            session, tenant_id=viewer.tenant_id, property_id=_key(prop_id), available=available
        )
    state = (
        "reativado: a assistente volta a oferecê-lo"
        if available
        else "desativado: a assistente deixa de oferecê-lo"
    )
    flash(request, f"Imóvel {prop.code} {state}.")
    return RedirectResponse("/properties", status_code=303)


@router.post("/properties/import")
async def import_csv(request: Request) -> Response:
    upload = await form_file(request, "file")
    content = await upload.read() if upload is not None else None
    try:
        # The admin check comes first: a broker learns nothing from a validation message.
        async with staff_work(request, manager=True) as (session, viewer):
            if content is None:
                raise BadRequest("Escolha um arquivo CSV.")
            report = await catalog.import_csv(session, tenant_id=viewer.tenant_id, content=content)
            if not report.ok:
                raise _Rejected(report)
    except _Rejected as rejected:
        return await _list(request, report=rejected.report, status=422)
    except BadRequest as exc:
        return await _list(request, import_error=exc.message, status=400)
    flash(request, f"Importação concluída: {report.created} novos, {report.updated} atualizados.")
    return RedirectResponse("/properties", status_code=303)


@router.post("/properties/feed")
async def configure_feed(request: Request) -> Response:
    """The agency's VRSync feed address and sync interval (hours); an empty address stops it."""
    try:
        async with staff_work(request, manager=True) as (session, viewer):
            fields = await form_fields(request)
            hours = fields.get("interval_hours", "").strip()
            if not hours.isdigit() or not 1 <= int(hours) <= 168:
                raise BadRequest("O intervalo vai de 1 a 168 horas.")
            feed = await feeds.configure_feed(
                session,
                tenant_id=viewer.tenant_id,
                url=fields.get("url"),
                interval_minutes=int(hours) * 60,
                now=container_of(request).clock.now(),
            )
    except BadRequest as exc:
        return await _list(request, feed_error=exc.message, status=400)
    done = "sincronizado em até 5 minutos" if feed.url else "desligado"
    flash(request, f"Feed dos portais {done}.")
    return RedirectResponse("/properties#feed", status_code=303)


class _Rejected(Exception):
    """Leaves the unit of work by rolling back: a rejected import writes nothing."""

    def __init__(self, report: catalog.ImportReport) -> None:
        super().__init__("import rejected")
        self.report = report
