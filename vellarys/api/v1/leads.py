"""Leads, their messages, and LGPD export and erasure."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.api.v1.auth import Auth
from vellarys.api.v1.schemas import (
    ErasureOut,
    ExportOut,
    LeadIn,
    LeadIntakeOut,
    LeadOut,
    LeadPageOut,
    LeadPatch,
    MessageIn,
    MessageOut,
    MessagePageOut,
    Sort,
    Stage,
    Temperature,
    errors,
)
from vellarys.db.models import Lead
from vellarys.db.queries.page import MAX_PAGE, MAX_PER_PAGE
from vellarys.domain.glossary import Intent
from vellarys.domain.lead_search import LeadFilters
from vellarys.errors import BadRequest
from vellarys.services import intake, lead_acts, leads, lgpd

router = APIRouter(prefix="/leads", tags=["leads"])
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def lead_filters(
    stage: Stage | None = None,
    temperature: Temperature | None = None,
    assigned_user_id: Annotated[
        uuid.UUID | Literal["unassigned"] | None,
        Query(description='A user id, or "unassigned".'),
    ] = None,
    channel_id: uuid.UUID | None = None,
    created_from: Annotated[date | None, Query(description="First day (agency time).")] = None,
    created_to: Annotated[date | None, Query(description="Last day, included.")] = None,
    text: Annotated[str | None, Query(description="Part of the name or phone.")] = None,
    neighborhood: Annotated[str | None, Query(description="A profile neighborhood.")] = None,
    intent: Annotated[Intent | None, Query()] = None,
    property_type: str | None = None,
    city: str | None = None,
    budget_min: Annotated[int | None, Query(ge=0, description="Lowest budget_max.")] = None,
    budget_max: Annotated[int | None, Query(ge=0, description="Highest budget_max.")] = None,
    custom: Annotated[
        list[str] | None,
        Query(description="`key:value` equality on any profile field; repeatable."),
    ] = None,
    source: Annotated[
        str | None,
        Query(
            description="whatsapp, ad, site, api, import, manual, portal (any) or portal:<name>."
        ),
    ] = None,
    campaign: Annotated[str | None, Query(description="The exact campaign.")] = None,
) -> LeadFilters:
    return LeadFilters(
        stage=stage,
        temperature=temperature,
        assigned_user_id=assigned_user_id,
        channel_id=channel_id,
        created_from=created_from,
        created_to=created_to,
        text=text,
        neighborhood=neighborhood,
        intent=intent,
        property_type=property_type,
        city=city,
        budget_min=budget_min,
        budget_max=budget_max,
        custom=_custom(custom or []),
        source=source,
        campaign=campaign,
    )


def _custom(pairs: list[str]) -> dict[str, str]:
    custom: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key.strip():
            raise BadRequest(f"Filtro custom inválido {pair!r}: use chave:valor")
        custom[key.strip()] = value.strip()
    return custom


def lead_out(lead: Lead, names: dict[uuid.UUID, str]) -> LeadOut:
    out = LeadOut.model_validate(lead)
    if lead.assigned_user_id is not None:
        out.assigned_user_name = names.get(lead.assigned_user_id)
    return out


@router.get("", response_model=LeadPageOut, responses=errors(400, 422))
async def list_leads(
    auth: Auth,
    filters: Annotated[LeadFilters, Depends(lead_filters)],
    sort: Sort = "newest",
    page: PageNumber = 1,
    per_page: PerPage = 25,
) -> LeadPageOut:
    """The agency's leads (erased ones left out), filtered, sorted and paginated."""
    async with auth.session() as (session, caller):
        found = await leads.search_leads(
            session,
            tenant_id=caller.tenant_id,
            filters=filters,
            sort=sort,
            page=page,
            per_page=per_page,
        )
        items = [lead_out(lead, found.assignee_names) for lead in found.items]
    return LeadPageOut(items=items, total=found.total, page=found.page, per_page=found.per_page)


@router.post(
    "",
    status_code=201,
    response_model=LeadIntakeOut,
    responses={
        200: {"model": LeadIntakeOut, "description": "Matched by phone, or replayed."},
        **errors(400, 409, 422),
    },
)
async def create_lead(
    body: LeadIn,
    auth: Auth,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Retries with the same key return the first answer; another body "
            "under the same key is a 409.",
        ),
    ] = None,
) -> JSONResponse:
    """Create a lead (or match it by phone), link the listing asked about and open the
    WhatsApp conversation, like a portal lead. 201 when the lead is new, 200 otherwise."""
    key = f"idem:{idempotency_key}" if idempotency_key else None
    if key is None and body.external_id:
        key = f"ext:{body.external_id}"
    details = {**body.details, **({"external_id": body.external_id} if body.external_id else {})}
    lead_in = intake.LeadIn(
        phone=body.phone,
        source=body.source,
        name=body.name,
        email=body.email,
        message=body.message,
        listing_code=body.listing_code,
        campaign=body.campaign,
        details=details,
        key=key,
        greet=body.greet,
    )
    async with auth.session() as (session, caller):
        taken = await intake.take_lead(
            session, tenant_id=caller.tenant_id, lead_in=lead_in, now=auth.container.clock.now()
        )
        out = await _lead_out(session, caller.tenant_id, taken.lead)
        result = LeadIntakeOut(
            lead=out,
            created=taken.created,
            replayed=taken.replayed,
            listing_found=taken.listing is not None,
            first_message_id=taken.first_message.id if taken.first_message else None,
            not_greeted=taken.not_greeted,
        )
    return JSONResponse(result.model_dump(mode="json"), status_code=201 if taken.created else 200)


@router.get("/{lead_id}", response_model=LeadOut, responses=errors(404, 422))
async def get_lead(lead_id: uuid.UUID, auth: Auth) -> LeadOut:
    """One lead; the view is recorded in the audit log."""
    async with auth.session() as (session, caller):
        lead = await lead_acts.view_lead(session, caller.actor, lead_id=lead_id)
        names = await leads.assignee_names(session, tenant_id=caller.tenant_id, leads=[lead])
        return lead_out(lead, names)


@router.patch("/{lead_id}", response_model=LeadOut, responses=errors(400, 404, 422))
async def update_lead(lead_id: uuid.UUID, body: LeadPatch, auth: Auth) -> LeadOut:
    """Change the stage and/or the assigned user (``null`` unassigns)."""
    if not body.model_fields_set:
        raise BadRequest("Nada para alterar: envie stage e/ou assigned_user_id")
    async with auth.session() as (session, caller):
        lead = await lead_acts.find_lead(session, caller.actor, lead_id)
        if body.stage is not None:
            await lead_acts.change_stage(
                session,
                caller.actor,
                lead_id=lead_id,
                stage=body.stage,
                loss_reason=body.loss_reason,
            )
        if "assigned_user_id" in body.model_fields_set:
            user_id = body.assigned_user_id
            await lead_acts.assign_lead(session, caller.actor, lead_id=lead_id, user_id=user_id)
        return await _lead_out(session, caller.tenant_id, lead)


@router.get("/{lead_id}/messages", response_model=MessagePageOut, responses=errors(404, 422))
async def list_messages(
    lead_id: uuid.UUID, auth: Auth, page: PageNumber = 1, per_page: PerPage = 50
) -> MessagePageOut:
    """The lead's messages, newest first."""
    async with auth.session() as (session, caller):
        found = await leads.list_messages(
            session, tenant_id=caller.tenant_id, lead_id=lead_id, page=page, per_page=per_page
        )
        items = [MessageOut.model_validate(m) for m in found.items]
    return MessagePageOut(items=items, total=found.total, page=found.page, per_page=found.per_page)


@router.post(
    "/{lead_id}/messages",
    status_code=202,
    response_model=MessageOut,
    responses=errors(400, 404, 409, 422),
)
async def send_message(lead_id: uuid.UUID, body: MessageIn, auth: Auth) -> MessageOut:
    """Send a text to the lead as the broker. Accepted means stored ``pending`` and queued;
    the delivery status then moves on (sent, delivered, read or failed). The assistant is
    paused for the lead (a take-over), as when a broker replies on the dashboard. 409 when
    the lead cannot receive it (opted out, erased, no WhatsApp channel)."""
    async with auth.session() as (session, caller):
        message = await lead_acts.send_broker_message(
            session, caller.actor, lead_id=lead_id, text=body.text
        )
        return MessageOut.model_validate(message)


@router.post("/{lead_id}/take-over", response_model=LeadOut, responses=errors(404, 422))
async def take_over(lead_id: uuid.UUID, auth: Auth) -> LeadOut:
    """Pause the assistant for this lead: a person answers from now on."""
    async with auth.session() as (session, caller):
        lead = await lead_acts.take_over(session, caller.actor, lead_id=lead_id)
        return await _lead_out(session, caller.tenant_id, lead)


@router.post("/{lead_id}/give-back", response_model=LeadOut, responses=errors(404, 422))
async def give_back(lead_id: uuid.UUID, auth: Auth) -> LeadOut:
    """Give the conversation back to the assistant; open handoffs are released."""
    async with auth.session() as (session, caller):
        deps = auth.container.pipeline
        lead = await lead_acts.give_back(session, deps, caller.actor, lead_id=lead_id)
        return await _lead_out(session, caller.tenant_id, lead)


async def _lead_out(session: AsyncSession, tenant_id: uuid.UUID, lead: Lead) -> LeadOut:
    await session.refresh(lead)  # updated_at is set by the database
    names = await leads.assignee_names(session, tenant_id=tenant_id, leads=[lead])
    return lead_out(lead, names)


@router.get("/{lead_id}/export", response_model=ExportOut, responses=errors(404, 422))
async def export_lead(lead_id: uuid.UUID, auth: Auth) -> ExportOut:
    """Everything about the lead (LGPD); the export is recorded in the audit log."""
    async with auth.session() as (session, caller):
        data = await lgpd.export_lead(
            session, tenant_id=caller.tenant_id, lead_id=lead_id, api_key_id=caller.api_key_id
        )
    return ExportOut.model_validate(data)


@router.post("/{lead_id}/erase", response_model=ErasureOut, responses=errors(404, 422))
async def erase_lead(lead_id: uuid.UUID, auth: Auth) -> ErasureOut:
    """Delete the lead's messages and notes and anonymize it (LGPD). Erasing twice is harmless."""
    async with auth.session() as (session, caller):
        erasure = await lgpd.erase_lead(
            session, tenant_id=caller.tenant_id, lead_id=lead_id, api_key_id=caller.api_key_id
        )
    return ErasureOut.model_validate(erasure, from_attributes=True)
