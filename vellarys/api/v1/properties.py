"""Listings: CRUD (delete deactivates) and an all-or-nothing bulk import."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from vellarys.api.errors import error_body
from vellarys.api.v1.auth import Auth
from vellarys.api.v1.schemas import (
    ErrorOut,
    ImportOut,
    PropertyIn,
    PropertyOut,
    PropertyPageOut,
    PropertyPatch,
    PropertyType,
    Transaction,
    errors,
)
from vellarys.db.queries.page import MAX_PAGE, MAX_PER_PAGE
from vellarys.domain.listing_input import listing_from_values
from vellarys.errors import BadRequest
from vellarys.services import catalog

router = APIRouter(prefix="/properties", tags=["properties"])
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid fields; `details` lists them."}
}


def _invalid(exc: catalog.InvalidListing) -> JSONResponse:
    body = error_body("InvalidListing", exc.message, [{"message": m} for m in exc.errors])
    return JSONResponse(body, status_code=422)


@router.get("", response_model=PropertyPageOut, responses=errors(400, 422))
async def list_properties(
    auth: Auth,
    available: bool | None = None,
    text: Annotated[str | None, Query(description="Part of code, title, neighborhood.")] = None,
    transaction: Transaction | None = None,
    property_type: PropertyType | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 25,
) -> PropertyPageOut:
    """The agency's listings by code."""
    async with auth.session() as (session, caller):
        found = await catalog.list_listings(
            session,
            tenant_id=caller.tenant_id,
            page=page,
            per_page=per_page,
            available=available,
            text=text,
            transaction=transaction,
            property_type=property_type,
        )
        items = [PropertyOut.model_validate(p) for p in found.items]
    return PropertyPageOut(items=items, total=found.total, page=found.page, per_page=found.per_page)


@router.get("/{property_id}", response_model=PropertyOut, responses=errors(404, 422))
async def get_property(property_id: uuid.UUID, auth: Auth) -> PropertyOut:
    async with auth.session() as (session, caller):
        prop = await catalog.get_listing(
            session, tenant_id=caller.tenant_id, property_id=property_id
        )
        return PropertyOut.model_validate(prop)


@router.post(
    "", status_code=201, response_model=PropertyOut, responses={**errors(400, 422), **INVALID}
)
async def create_property(body: PropertyIn, auth: Auth) -> Any:
    """Create a listing; it becomes searchable by the assistant once the worker embeds it."""
    try:
        async with auth.session() as (session, caller):
            listing = listing_from_values(body.model_dump())
            prop = await catalog.create_listing(
                session, tenant_id=caller.tenant_id, listing=listing
            )
            await session.refresh(prop)
            return PropertyOut.model_validate(prop)
    except catalog.InvalidListing as exc:
        return _invalid(exc)


@router.patch(
    "/{property_id}", response_model=PropertyOut, responses={**errors(400, 404, 422), **INVALID}
)
async def update_property(property_id: uuid.UUID, body: PropertyPatch, auth: Auth) -> Any:
    """Change the fields sent; the others stay as they are."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise BadRequest("Nada para alterar")
    nulls = [k for k, v in changes.items() if v is None and k not in _NULLABLE]
    if nulls:
        raise BadRequest(f"Estes campos não podem ser nulos: {', '.join(nulls)}")
    available = changes.pop("available", None)
    try:
        async with auth.session() as (session, caller):
            prop = await catalog.update_listing(
                session,
                tenant_id=caller.tenant_id,
                property_id=property_id,
                changes=changes,
                available=available,
            )
            await session.refresh(prop)
            return PropertyOut.model_validate(prop)
    except catalog.InvalidListing as exc:
        return _invalid(exc)


_NULLABLE = ("condo_fee", "iptu", "area_m2", "address")


@router.delete("/{property_id}", response_model=PropertyOut, responses=errors(404, 422))
async def deactivate_property(property_id: uuid.UUID, auth: Auth) -> PropertyOut:
    """Deactivate the listing: the assistant stops offering it; PATCH ``available`` undoes it."""
    async with auth.session() as (session, caller):
        prop = await catalog.update_listing(
            session, tenant_id=caller.tenant_id, property_id=property_id, available=False
        )
        await session.refresh(prop)
        return PropertyOut.model_validate(prop)


@router.post(
    "/import",
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"items": {"$ref": "#/components/schemas/PropertyIn"}}
                }
            }
        }
    },
    responses={
        **errors(422),
        400: {"model": ErrorOut, "description": "Nothing imported; `details` lists each bad row."},
    },
)
async def import_properties(
    rows: Annotated[list[dict[str, Any]], Body(description="Listings, as in POST /properties.")],
    auth: Auth,
) -> Any:
    """Create or update (by ``code``) every listing, or none when any row is invalid.

    Each row is validated like the body of ``POST /properties``; a 400 lists every bad row
    (``row`` counts from 1) and nothing is written.
    """
    async with auth.session() as (session, caller):
        report = await catalog.import_listings(
            session, tenant_id=caller.tenant_id, rows=list(enumerate(rows, 1)), as_text=False
        )
    if not report.ok:
        details = [{"row": e.line, "code": e.code, "messages": e.messages} for e in report.errors]
        message = f"Nada foi importado: {len(details)} item(ns) com erro"
        return JSONResponse(error_body("InvalidRows", message, details), status_code=400)
    return ImportOut(created=report.created, updated=report.updated)
