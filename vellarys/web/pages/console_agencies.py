"""The console's agency set-up form, and the support views: an agency's leads, read-only,
for the time its admin opened them to the operators (a 404 otherwise)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from vellarys.adapters.whatsapp import CONNECTABLE, REGISTRY
from vellarys.errors import BadRequest, NotFound
from vellarys.services import agency_setup, support_access
from vellarys.web.pages.forms import form_fields
from vellarys.web.render import render
from vellarys.web.route import WebRoute
from vellarys.web.session import container_of, operator_work

router = APIRouter(route_class=WebRoute)


def _plan_key(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError as exc:
        raise BadRequest("Plano não encontrado.") from exc


def _new_agency(fields: dict[str, str]) -> agency_setup.NewAgency:
    provider = fields.get("provider", "").strip()
    spec = REGISTRY.get(provider) if provider in CONNECTABLE else None
    # Each provider's inputs are named "<provider>.<credential key>", as on the channels page.
    credentials = {} if spec is None else {
        f.key: fields.get(f"{provider}.{f.key}", "").strip() for f in spec.fields
    }  # fmt: skip
    return agency_setup.NewAgency(
        name=fields.get("name", ""),
        slug=fields.get("slug", "").strip().lower(),
        admin_name=fields.get("admin_name", ""),
        admin_email=fields.get("admin_email", ""),
        plan_id=_plan_key(fields.get("plan_id", "")),
        provider=provider,
        identity=fields.get("identity", ""),
        credentials=credentials,
    )


@router.post("/console/agencies")
async def create_agency(request: Request) -> Response:
    fields = await form_fields(request)
    new = _new_agency(fields)
    settings = container_of(request).settings
    try:
        async with operator_work(request) as (session, operator):
            created = await agency_setup.create_agency(
                session,
                operator_id=operator.operator_id,
                new=new,
                secret_key=settings.resolved_secret_key,
                allow_private_urls=settings.private_urls_allowed,
            )
    except BadRequest as exc:
        # The channel's own checks speak of missing fields; say which form part it was.
        raise BadRequest(f"Imobiliária não criada: {exc.message}") from exc
    # The temporary password is shown on this page once, never stored in clear.
    return render(request, "console_agency_created.html", {"created": created}, status=201)


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or "1"))
    except ValueError as exc:
        raise BadRequest("Página inválida.") from exc


@router.get("/console/agencies/{slug}/leads")
async def support_leads(request: Request, slug: str) -> Response:
    page = _page_number(request.query_params.get("page"))
    now = container_of(request).clock.now()
    async with operator_work(request) as (session, operator):
        tenant, found = await support_access.agency_leads(
            session, operator_id=operator.operator_id, slug=slug, page=page, now=now
        )
    context = {"tenant": tenant, "found": found}
    return render(request, "console_support_leads.html", context)


@router.get("/console/support/leads/{lead_id}")
async def support_lead(request: Request, lead_id: str) -> Response:
    try:
        key = uuid.UUID(lead_id)
    except ValueError as exc:
        raise NotFound(support_access.NOT_FOUND) from exc
    now = container_of(request).clock.now()
    async with operator_work(request) as (session, operator):
        seen = await support_access.agency_lead(
            session, operator_id=operator.operator_id, lead_id=key, now=now
        )
    return render(request, "console_support_lead.html", {"seen": seen})
