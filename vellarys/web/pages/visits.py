"""Visits: the week calendar (per broker, filters), the broker's outcome, the ``.ics`` file,
a broker's availability and blocked times, and the agency's visit length."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.uow import unit_of_work
from vellarys.domain import business_hours, glossary
from vellarys.domain.business_hours import DAYS
from vellarys.domain.visit_ics import token_ok
from vellarys.errors import BadRequest, Conflict, Forbidden, NotFound
from vellarys.services import alerts, availability, visit_calendar
from vellarys.services.auth import Viewer
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)


def _key(value: str, what: str = "Visita") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"{what} não encontrada.") from exc


@router.get("/visits")
async def calendar(request: Request) -> Response:
    query = request.query_params
    start = _week_start(query.get("week"))
    user = query.get("user") or ""
    status = query.get("status") or None
    if status not in (None, *glossary.VISIT_STATUS_LABELS):
        raise BadRequest("Situação de visita desconhecida.")
    async with staff_work(request) as (session, viewer):
        brokers = await availability.brokers(session, tenant_id=viewer.tenant_id)
        chosen = _key(user, "Corretor") if user else None
        days, by_day = await visit_calendar.week_of(
            session, tenant_id=viewer.tenant_id, start=start, user_id=chosen, status=status
        )
        settings, hours, rules = await availability.agency_rules(session, viewer.tenant_id)
        mine = await alerts.list_notifications(
            session, tenant_id=viewer.tenant_id, user_id=viewer.user_id
        )
    context = {
        "notices": [n for n in mine if n.kind == "visit"][:10],
        "bring": str(settings.get("visit_bring") or ""),
        "days": days, "by_day": by_day, "brokers": brokers, "user": user, "status": status or "",
        "statuses": glossary.VISIT_STATUS_LABELS, "outcomes": glossary.VISIT_OUTCOME_LABELS,
        "week": start, "previous": start - timedelta(days=7), "next": start + timedelta(days=7),
        "zone": hours.zone, "rules": rules, "now": container_of(request).clock.now(),
    }  # fmt: skip
    return render(request, "visits.html", context)


def _week_start(value: str | None) -> date:
    try:
        day = date.fromisoformat(value) if value else date.today()
    except ValueError:
        raise BadRequest("Semana inválida.") from None
    return day - timedelta(days=day.weekday())


@router.post("/visits/{visit_id}/outcome")
async def outcome(request: Request, visit_id: str) -> Response:
    fields, key = await form_fields(request), _key(visit_id)
    now = container_of(request).clock.now()
    try:
        async with staff_work(request) as (session, viewer):
            await visit_calendar.record_outcome(
                session,
                tenant_id=viewer.tenant_id,
                visit_id=key,
                outcome=fields.get("outcome", ""),
                note=fields.get("note", ""),
                now=now,
            )
    except (BadRequest, Conflict) as exc:
        flash(request, exc.message, "error")
        return _back(fields)
    flash(request, "Resultado da visita registrado.")
    return _back(fields)


@router.post("/visits/{visit_id}/confirm")
async def confirm(request: Request, visit_id: str) -> Response:
    fields, key = await form_fields(request), _key(visit_id)
    try:
        async with staff_work(request) as (session, viewer):
            await visit_calendar.confirm_visit(session, tenant_id=viewer.tenant_id, visit_id=key)
    except Conflict as exc:
        flash(request, exc.message, "error")
        return _back(fields)
    flash(request, "Visita confirmada.")
    return _back(fields)


def _back(fields: dict[str, str]) -> Response:
    back = fields.get("back", "")
    safe = back.startswith("/") and not back.startswith("//")
    return RedirectResponse(back if safe else "/visits", status_code=303)


@router.get("/visits/{visit_id}.ics")
async def visit_ics(request: Request, visit_id: str) -> Response:
    """The visit's calendar file: with a dashboard session, or the token of the broker's link."""
    key, token = _key(visit_id), request.query_params.get("t")
    container = container_of(request)
    now = container.clock.now()
    if token:
        if not token_ok(container.settings.resolved_secret_key, key, token):
            raise NotFound("Visita não encontrada.")
        async with unit_of_work(container.sessions) as session:
            tenant_id = await visit_calendar.visit_tenant(session, key)
            if tenant_id is None:
                raise NotFound("Visita não encontrada.")
            body = await visit_calendar.visit_file(
                session, tenant_id=tenant_id, visit_id=key, now=now
            )
    else:
        async with staff_work(request) as (session, viewer):
            body = await visit_calendar.visit_file(
                session, tenant_id=viewer.tenant_id, visit_id=key, now=now
            )
    headers = {"Content-Disposition": f'attachment; filename="visita-{key}.ics"'}
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


# --- availability ---------------------------------------------------------------------------


def _may_edit(viewer: Viewer, user_id: uuid.UUID) -> None:
    """Admins edit anyone's availability; a broker edits their own."""
    if not viewer.is_admin and viewer.user_id != user_id:
        raise Forbidden("Você só pode editar a sua própria agenda.")


@router.get("/visits/availability/{user_id}")
async def availability_page(request: Request, user_id: str) -> Response:
    key = _key(user_id, "Usuário")
    now = container_of(request).clock.now()
    async with staff_work(request) as (session, viewer):
        _may_edit(viewer, key)
        found = await availability.availability(
            session, tenant_id=viewer.tenant_id, user_id=key, now=now
        )
        _, hours, rules = await availability.agency_rules(session, viewer.tenant_id)
    context = {
        "found": found, "days": DAYS, "day_names": availability.DAY_NAMES, "zone": hours.zone,
        "rules": rules,
    }  # fmt: skip
    return render(request, "availability.html", context)


@router.post("/visits/availability/{user_id}/week")
async def save_week(request: Request, user_id: str) -> Response:
    fields, key = await form_fields(request), _key(user_id, "Usuário")
    try:
        async with staff_work(request) as (session, viewer):
            _may_edit(viewer, key)
            days = {day: fields.get(f"day_{day}", "") for day in DAYS}
            await availability.set_week(session, tenant_id=viewer.tenant_id, user_id=key, days=days)
    except BadRequest as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "Disponibilidade semanal salva.")
    return RedirectResponse(f"/visits/availability/{key}", status_code=303)


@router.post("/visits/availability/{user_id}/blocks")
async def add_block(request: Request, user_id: str) -> Response:
    fields, key = await form_fields(request), _key(user_id, "Usuário")
    try:
        async with staff_work(request) as (session, viewer):
            _may_edit(viewer, key)
            _, hours, _ = await availability.agency_rules(session, viewer.tenant_id)
            await availability.add_block(
                session,
                tenant_id=viewer.tenant_id,
                user_id=key,
                kind=fields.get("kind", ""),
                starts_at=_moment(fields.get("starts_at", ""), hours),
                ends_at=_moment(fields.get("ends_at", ""), hours),
                note=fields.get("note", ""),
            )
    except BadRequest as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "Bloqueio adicionado.")
    return RedirectResponse(f"/visits/availability/{key}", status_code=303)


def _moment(value: str, hours: business_hours.BusinessHours) -> datetime:
    """A ``datetime-local`` field (or a date: its start) in the agency's zone."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest("Informe início e fim do bloqueio (data e hora).") from None
    return moment.replace(tzinfo=hours.zone) if moment.tzinfo is None else moment


@router.post("/visits/availability/{user_id}/blocks/{block_id}/delete")
async def delete_block(request: Request, user_id: str, block_id: str) -> Response:
    await form_fields(request)
    key, block = _key(user_id, "Usuário"), _key(block_id, "Bloqueio")
    async with staff_work(request) as (session, viewer):
        _may_edit(viewer, key)
        await availability.remove_block(
            session, tenant_id=viewer.tenant_id, user_id=key, block_id=block
        )
    flash(request, "Bloqueio removido.")
    return RedirectResponse(f"/visits/availability/{key}", status_code=303)


@router.post("/visits/settings")
async def visit_settings(request: Request) -> Response:
    """The agency's visit length, travel buffer, least notice and what to bring (admins)."""
    fields = await form_fields(request)
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            await availability.set_visit_rules(
                session,
                tenant_id=viewer.tenant_id,
                minutes=fields.get("visit_minutes", ""),
                buffer_minutes=fields.get("visit_buffer_minutes", ""),
                notice_hours=fields.get("visit_notice_hours", ""),
                bring=fields.get("visit_bring", ""),
            )
    except BadRequest as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "Regras de visita salvas.")
    return RedirectResponse("/visits", status_code=303)
