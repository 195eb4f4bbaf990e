"""Opportunities: a lead's deal on one listing (value, stage, expected close, commission).

Opened by staff on the lead page, by the assistant when a lead asks about the same listing
a second time, and (``open_opportunity``) by the visit booking. Every change is in the
lead's timeline through the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Opportunity, Property
from vellarys.db.models.opportunity import OPPORTUNITY_STAGES
from vellarys.db.queries import opportunity as queries
from vellarys.db.queries import property as property_queries
from vellarys.domain.glossary import AuditAction, OpportunityStage
from vellarys.errors import BadRequest, NotFound
from vellarys.services import pipeline
from vellarys.services.audit import Actor, record_act
from vellarys.services.lead_acts import find_lead

ASKS_TO_OPEN = 2  # a second question about the same listing is an interest worth a deal
CLOSED = frozenset({OpportunityStage.WON, OpportunityStage.LOST})
MAX_AMOUNT = Decimal("1000000000")
NOT_FOUND = "Oportunidade não encontrada."


def _rank(stage: str) -> int:
    return OPPORTUNITY_STAGES.index(stage)


async def open_opportunity(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    property_id: uuid.UUID,
    stage: str = OpportunityStage.NEW,
    *,
    actor: Actor | None = None,
) -> Opportunity:
    """The lead's opportunity on the listing, opened if there is none (valued at the
    listing's price). Idempotent: calling it again returns the same row, moved forward to
    ``stage`` when that is further along (never backwards, never out of won or lost).
    ``actor`` defaults to the assistant."""
    if stage not in OPPORTUNITY_STAGES:
        raise BadRequest(f"Etapa desconhecida: use {', '.join(OPPORTUNITY_STAGES)}")
    who = actor or Actor(tenant_id=tenant_id)
    listing = await property_queries.get(session, tenant_id, property_id)
    if listing is None:
        raise NotFound("Imóvel não encontrado.")
    values = {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "lead_id": lead_id,
        "property_id": listing.id,
        "stage": stage,
        "value": listing.price,
    }
    created = await queries.insert_unless_open(session, values)
    if created is not None:
        details = {"opportunity_id": str(created.id), "code": listing.code, "stage": stage}
        await record_act(
            session, who, AuditAction.OPPORTUNITY_OPENED, target_id=lead_id, details=details
        )
        return created
    found = await queries.of_listing(session, tenant_id, lead_id, listing.id)
    assert found is not None  # the conflict that skipped the insert is this row
    if found.stage not in CLOSED and _rank(stage) > _rank(found.stage):
        await _record_change(session, who, found, {"stage": stage}, code=listing.code)
        found.stage = stage
        await session.flush()
    return found


async def note_listing_asks(session: AsyncSession, *, lead: Lead, codes: Sequence[str]) -> int:
    """Count the lead's questions about these listing codes; the second one about a listing
    opens an opportunity on it. Returns how many were opened."""
    if not codes:
        return 0
    asks = dict(lead.listing_asks or {})
    listings = await property_queries.by_codes(session, lead.tenant_id, list(codes))
    opened = 0
    for code in dict.fromkeys(codes):
        asks[code] = int(asks.get(code, 0)) + 1
        if asks[code] == ASKS_TO_OPEN and code in listings:
            await open_opportunity(session, lead.tenant_id, lead.id, listings[code].id)
            opened += 1
    lead.listing_asks = asks
    await session.flush()
    return opened


async def open_for_code(
    session: AsyncSession, actor: Actor, *, lead_id: uuid.UUID, code: str
) -> Opportunity:
    """Staff open a deal on one of the agency's listings, by its code."""
    lead = await find_lead(session, actor, lead_id)
    code = code.strip()
    found = await property_queries.by_codes(session, actor.tenant_id, [code]) if code else {}
    if code not in found:
        raise BadRequest("Informe o código de um imóvel da imobiliária.")
    return await open_opportunity(session, actor.tenant_id, lead.id, found[code].id, actor=actor)


async def of_lead(
    session: AsyncSession, actor: Actor, *, lead_id: uuid.UUID
) -> list[tuple[Opportunity, Property]]:
    lead = await find_lead(session, actor, lead_id)
    return await queries.of_lead(session, actor.tenant_id, lead.id)


async def update_opportunity(
    session: AsyncSession,
    actor: Actor,
    *,
    opportunity_id: uuid.UUID,
    fields: Mapping[str, str | None],
    now: datetime,
) -> Opportunity:
    """Change stage, value, commission, expected close date (form text). Won and lost stamp
    the close; lost needs one of the agency's loss reasons. Checked whole before writing."""
    found = await queries.get(session, actor.tenant_id, opportunity_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    await find_lead(session, actor, found.lead_id)  # a broker only changes their leads' deals
    changes = _changes(fields)
    if changes.get("stage") == OpportunityStage.LOST:
        reasons = await pipeline.loss_reasons(session, actor.tenant_id)
        changes["loss_reason"] = pipeline.checked_reason(fields.get("loss_reason"), reasons)
    elif "stage" in changes:
        changes["loss_reason"] = None
    if "stage" in changes:
        changes["closed_at"] = now if changes["stage"] in CLOSED else None
    await _record_change(session, actor, found, changes)
    for key, value in changes.items():
        setattr(found, key, value)
    await session.flush()
    return found


def _changes(fields: Mapping[str, str | None]) -> dict[str, object]:
    changes: dict[str, object] = {}
    stage = (fields.get("stage") or "").strip()
    if stage:
        if stage not in OPPORTUNITY_STAGES:
            raise BadRequest(f"Etapa desconhecida: use {', '.join(OPPORTUNITY_STAGES)}")
        changes["stage"] = stage
    for key in ("value", "commission"):
        if key in fields:
            changes[key] = _amount(fields[key], key)
    if "expected_close" in fields:
        text = (fields["expected_close"] or "").strip()
        try:
            changes["expected_close"] = date.fromisoformat(text) if text else None
        except ValueError as exc:
            raise BadRequest("Data de fechamento inválida: use AAAA-MM-DD.") from exc
    return changes


def _amount(value: str | None, key: str) -> Decimal | None:
    text = (value or "").replace("R$", "").replace(" ", "").strip()
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise BadRequest(f"{_LABELS[key]}: informe um valor em reais.") from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise BadRequest(f"{_LABELS[key]}: informe um valor em reais.")
    return amount.quantize(Decimal("0.01"))


_LABELS = {"value": "Valor", "commission": "Comissão"}


async def _record_change(
    session: AsyncSession,
    actor: Actor,
    found: Opportunity,
    changes: Mapping[str, object],
    *,
    code: str | None = None,
) -> None:
    details: dict[str, object] = {"opportunity_id": str(found.id)}
    if code:
        details["code"] = code
    for key, value in changes.items():
        if key != "closed_at":
            details[key] = None if value is None else str(value)
    action = AuditAction.OPPORTUNITY_CHANGED
    await record_act(session, actor, action, target_id=found.lead_id, details=details)
