"""Handoffs of leads to brokers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from vellarys.api.v1.auth import Auth
from vellarys.api.v1.schemas import HandoffOut, HandoffPageOut, errors
from vellarys.db.queries.page import MAX_PAGE, MAX_PER_PAGE
from vellarys.domain.glossary import HandoffStatus
from vellarys.services import leads

router = APIRouter(prefix="/handoffs", tags=["handoffs"])


@router.get("", response_model=HandoffPageOut, responses=errors(400, 422))
async def list_handoffs(
    auth: Auth,
    status: HandoffStatus | None = None,
    lead_id: uuid.UUID | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 25,
) -> HandoffPageOut:
    """The agency's handoffs, newest first."""
    async with auth.session() as (session, caller):
        found = await leads.list_handoffs(
            session,
            tenant_id=caller.tenant_id,
            status=status,
            lead_id=lead_id,
            page=page,
            per_page=per_page,
        )
        items = [HandoffOut.model_validate(h) for h in found.items]
    return HandoffPageOut(items=items, total=found.total, page=found.page, per_page=found.per_page)


@router.get("/{handoff_id}", response_model=HandoffOut, responses=errors(404, 422))
async def get_handoff(handoff_id: uuid.UUID, auth: Auth) -> HandoffOut:
    async with auth.session() as (session, caller):
        handoff = await leads.get_handoff(
            session, tenant_id=caller.tenant_id, handoff_id=handoff_id
        )
        return HandoffOut.model_validate(handoff)
