"""The portals' lead integration (ZAP Imóveis, VivaReal, OLX): one URL per agency.

The portal counts any 2xx as received and retries anything else, so a lead is committed
before the 200 goes out, a post the agency can never take is a 400 (with the reason, for
the portal's error report), and a database away is a 503 (retried later).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from vellarys.api.deps import get_container
from vellarys.api.errors import error_response
from vellarys.bootstrap import Container
from vellarys.db.uow import unit_of_work
from vellarys.errors import BadRequest, DatabaseUnavailable
from vellarys.services import portal_leads
from vellarys.telemetry.logs import log_context

log = logging.getLogger(__name__)
router = APIRouter(prefix="/portal-leads", tags=["integrations"])


async def _container(request: Request) -> Container:
    return get_container(request)


@router.post("/{key}", status_code=200)
async def receive_portal_lead(
    key: str,
    request: Request,
    container: Annotated[Container, Depends(_container)],
    authorization: Annotated[str, Header()] = "",
) -> JSONResponse:
    """A lead posted by a portal: matched by phone or created, linked to the listing by
    ``clientListingId``, greeted on WhatsApp. The same ``originLeadId`` again is a no-op."""
    try:
        body = await _take(container, key, authorization, await request.body())
    except (DatabaseUnavailable, OSError, SQLAlchemyError) as exc:
        cause = exc.__cause__ if isinstance(exc, DatabaseUnavailable) else exc
        log.error("portal lead could not be stored", extra={"error": type(cause).__name__})
        return error_response(DatabaseUnavailable())
    return JSONResponse(body)


async def _take(
    container: Container, key: str, authorization: str, raw: bytes
) -> dict[str, object]:
    async with unit_of_work(container.sessions) as session:
        tenant_id = await portal_leads.authorize(session, url_key=key, authorization=authorization)
    payload = _json(raw)
    with log_context(tenant_id=str(tenant_id)):
        async with unit_of_work(container.sessions, tenant_id=tenant_id) as session:
            intake = await portal_leads.receive_portal_lead(
                session, tenant_id=tenant_id, payload=payload, now=container.clock.now()
            )
            body: dict[str, object] = {
                "status": "ok",
                "lead_id": str(intake.lead.id),
                "created": intake.created,
                "replayed": intake.replayed,
                "listing_found": intake.listing is not None,
                "first_message": intake.first_message is not None,
            }
        log.info("portal lead taken", extra={"lead_id": body["lead_id"]})
    return body


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("O corpo não é JSON válido.") from exc


__all__ = ["router"]
