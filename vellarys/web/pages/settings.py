"""The assistant's settings (admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vellarys.db.models import Tenant
from vellarys.domain.rate_limit import Limits
from vellarys.errors import BadRequest
from vellarys.services import pipeline, support_access
from vellarys.services import settings as assistant
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, flash, staff_work

router = APIRouter(route_class=WebRoute)
_CHECKBOXES = (
    "follow_up_enabled",
    "reactivation_enabled",
    "notify_hot_any_hour",
    "briefing_enabled",
    "briefing_whatsapp",
)


def _context(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    reasons: list[str] | None = None,
) -> dict[str, Any]:
    settings = container_of(request).settings
    return {
        "loss_reasons": reasons or [],
        "reasons_error": None,
        "values": values,
        "errors": errors,
        "days": assistant.DAYS,
        "day_names": assistant.DAY_NAMES,
        "tones": assistant.TONES,
        # Shown where the agency keeps the deployment's limits.
        "limit_defaults": Limits(
            lead=settings.lead_messages_per_minute, agency=settings.agency_messages_per_minute
        ),
    }


@router.get("/settings")
async def settings_page(request: Request) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        values = await assistant.read_settings(session, viewer.tenant_id)
        reasons = await pipeline.loss_reasons(session, viewer.tenant_id)
        tenant = await session.get(Tenant, viewer.tenant_id)
    now = container_of(request).clock.now()
    support = tenant.support_until if tenant and support_access.is_open(tenant, now) else None
    context = {**_context(request, values, {}, reasons), "support_until": support,
               "support_durations": support_access.DURATIONS}  # fmt: skip
    return render(request, "settings.html", context)


@router.post("/settings/support")
async def grant_support(request: Request) -> Response:
    """Let the operators read the agency's leads for 24 h, 72 h or 7 days."""
    fields = await form_fields(request)
    now = container_of(request).clock.now()
    async with staff_work(request, admin=True) as (session, viewer):
        await support_access.grant(session, viewer.actor, hours=fields.get("hours", ""), now=now)
    flash(request, "Acesso de suporte liberado.")
    return RedirectResponse("/settings#support", status_code=303)


@router.post("/settings/support/revoke")
async def revoke_support(request: Request) -> Response:
    async with staff_work(request, admin=True) as (session, viewer):
        await support_access.revoke(session, viewer.actor)
    flash(request, "Acesso de suporte encerrado.")
    return RedirectResponse("/settings#support", status_code=303)


@router.post("/settings")
async def save(request: Request) -> Response:
    fields = await form_fields(request)
    container = container_of(request)
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            await assistant.save_settings(
                session,
                tenant_id=viewer.tenant_id,
                form=fields,
                secret_key=container.settings.resolved_secret_key,
                allow_private_urls=container.settings.private_urls_allowed,
            )
    except assistant.InvalidSettings as exc:
        async with staff_work(request, admin=True) as (session, viewer):
            stored = await assistant.read_settings(session, viewer.tenant_id)
            reasons = await pipeline.loss_reasons(session, viewer.tenant_id)
        values = {
            **fields,
            "llm": stored["llm"],
            "business_hours": _hours(fields),
            "qualification_enabled": fields.get("qualification_enabled") == "on",
            **{key: fields.get(key) == "on" for key in _CHECKBOXES},
        }
        return render(
            request, "settings.html", _context(request, values, exc.errors, reasons), status=422
        )
    flash(request, "Configurações salvas.")
    return RedirectResponse("/settings", status_code=303)


def _hours(fields: dict[str, str]) -> dict[str, list[str]]:
    return {
        d: [fields.get(f"hours_{d}_open", ""), fields.get(f"hours_{d}_close", "")]
        for d in assistant.DAYS
    }


@router.post("/settings/loss-reasons")
async def save_loss_reasons(request: Request) -> Response:
    """The agency's reasons a lead is lost (one a line), offered when a lead or deal is lost."""
    fields = await form_fields(request)
    try:
        async with staff_work(request, admin=True) as (session, viewer):
            await pipeline.save_loss_reasons(session, viewer.actor, text=fields.get("reasons", ""))
    except BadRequest as exc:
        async with staff_work(request, admin=True) as (session, viewer):
            values = await assistant.read_settings(session, viewer.tenant_id)
            reasons = await pipeline.loss_reasons(session, viewer.tenant_id)
        context = {**_context(request, values, {}, reasons), "reasons_error": exc.message}
        return render(request, "settings.html", context, status=exc.status_code)
    flash(request, "Motivos de perda salvos.")
    return RedirectResponse("/settings", status_code=303)
