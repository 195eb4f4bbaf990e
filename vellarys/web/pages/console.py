"""The operator's console: agencies and their month against the plan, plans, feature
switches, suspend and resume, the audit log and the login history. Operators only; agency
staff get a 404."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.queries.console import Filters
from vellarys.domain import features
from vellarys.domain.glossary import AuditAction
from vellarys.errors import BadRequest
from vellarys.services import console, plans
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import ZONE, render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, operator_work

router = APIRouter(route_class=WebRoute)


@router.get("/console")
async def agencies_page(request: Request) -> Response:
    async with operator_work(request) as (session, _operator):
        found = await console.agencies(session, now=container_of(request).clock.now())
        every_plan = await console.all_plans(session)
    context = {"agencies": found, "plans": every_plan, "features": features.LABELS}
    return render(request, "console.html", context)


@router.post("/console/plans")
async def save_plan(request: Request) -> Response:
    fields = await form_fields(request)
    async with operator_work(request) as (session, operator):
        limits = {name: fields.get(name) for name in plans.LIMIT_FIELDS}
        plan = await console.save_plan(
            session, operator_id=operator.operator_id, name=fields.get("name", ""), limits=limits
        )
        flash(request, f"Plano {plan.name} salvo.")
    return RedirectResponse("/console", status_code=303)


def _plan_key(value: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise BadRequest("Plano não encontrado.") from exc


@router.post("/console/agencies/{slug}/plan")
async def set_plan(request: Request, slug: str) -> Response:
    fields = await form_fields(request)
    async with operator_work(request) as (session, operator):
        plan_id = _plan_key(fields.get("plan_id", ""))
        await console.set_plan(
            session, operator_id=operator.operator_id, slug=slug, plan_id=plan_id
        )
        flash(request, f"Plano de {slug} atualizado.")
    return RedirectResponse("/console", status_code=303)


@router.post("/console/agencies/{slug}/features")
async def set_features(request: Request, slug: str) -> Response:
    form = await request.form()
    on = {str(value) for value in form.getlist("feature")}
    async with operator_work(request) as (session, operator):
        await console.set_features(session, operator_id=operator.operator_id, slug=slug, on=on)
        flash(request, f"Recursos de {slug} atualizados.")
    return RedirectResponse("/console", status_code=303)


@router.post("/console/agencies/{slug}/active")
async def set_active(request: Request, slug: str) -> Response:
    fields = await form_fields(request)
    active = fields.get("active") == "1"
    async with operator_work(request) as (session, operator):
        await console.set_active(
            session, operator_id=operator.operator_id, slug=slug, active=active
        )
        flash(request, f"{slug} {'reativada' if active else 'suspensa'}.")
    return RedirectResponse("/console", status_code=303)


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        start = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=ZONE)
    except ValueError as exc:
        raise BadRequest("Use datas no formato AAAA-MM-DD.") from exc
    return start + timedelta(days=1) if end else start


async def _filters(request: Request, session_tenants: dict[str, uuid.UUID]) -> Filters:
    query = request.query_params
    slug = query.get("agency") or ""
    if slug and slug not in session_tenants:
        raise BadRequest("Imobiliária não encontrada.")
    action = query.get("action") or None
    if action is not None and action not in {a.value for a in AuditAction}:
        raise BadRequest("Ação desconhecida.")
    return Filters(
        tenant_id=session_tenants.get(slug),
        action=action,
        email=(query.get("user") or "").strip()[:320] or None,
        since=_day(query.get("since")),
        until=_day(query.get("until"), end=True),
    )


@router.get("/console/audit")
async def audit_page(request: Request) -> Response:
    async with operator_work(request) as (session, _operator):
        tenants = await console.tenant_slugs(session)
        filters = await _filters(request, tenants)
        entries = await console.audit_log(session, filters)
    context = {
        "entries": entries,
        "slugs": sorted(tenants),
        "actions": [a.value for a in AuditAction],
        "query": dict(request.query_params),
    }
    return render(request, "console_audit.html", context)


@router.get("/console/logins")
async def logins_page(request: Request) -> Response:
    async with operator_work(request) as (session, _operator):
        tenants = await console.tenant_slugs(session)
        filters = await _filters(request, tenants)
        events = await console.login_history(session, filters)
    context = {"events": events, "slugs": sorted(tenants), "query": dict(request.query_params)}
    return render(request, "console_logins.html", context)
