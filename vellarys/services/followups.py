"""Follow-ups to leads who stopped answering and reactivations of leads idle for weeks.

``plan`` says what is due for an agency at a moment (the preview, the re-engagement page);
``send_due`` claims each due step's unique key, then queues its message in the same
transaction, so any number of workers running it send each step once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel, Lead, PlannedMessage, Tenant
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import followup as followup_queries
from vellarys.db.queries.followup import Candidate
from vellarys.domain import business_hours, features, nudge
from vellarys.domain.listing import ready_to_search
from vellarys.domain.property_search import filters_from_profile
from vellarys.domain.template import WhatsAppTemplate, fill, pick, stored_templates
from vellarys.services.outbound import queue_outbound
from vellarys.services.property_search import to_hit

NO_TEMPLATE = "fora da janela de 24 h e sem modelo aprovado para este uso"
MAX_REACTIVATION_LISTINGS = 3
_PERSONA = "assistente"


@dataclass(frozen=True, slots=True)
class Planned:
    """One message a lead would receive: the step of a sequence, when, and as what."""

    lead: Lead
    kind: str  # follow_up | reactivation
    step: int
    anchor: datetime
    send_at: datetime
    text: str
    template: WhatsAppTemplate | None = None
    template_values: list[str] = field(default_factory=list)
    needs_template: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "lead_id": str(self.lead.id),
            "phone": self.lead.phone,
            "kind": self.kind,
            "step": self.step,
            "send_at": self.send_at.isoformat(),
            "text": self.text,
            "template": self.template.name if self.template else None,
        }


@dataclass(frozen=True, slots=True)
class _Agency:
    tenant: Tenant
    policy: nudge.NudgePolicy
    hours: business_hours.BusinessHours
    channels: dict[uuid.UUID, Channel]


async def _agency(session: AsyncSession, tenant: Tenant) -> _Agency:
    settings = tenant.settings or {}
    channels = await channel_queries.for_tenant(session, tenant.id)
    return _Agency(
        tenant=tenant,
        policy=nudge.policy(settings),
        hours=business_hours.from_settings(settings),
        channels={c.id: c for c in channels if c.active},
    )


async def plan(
    session: AsyncSession, *, tenant: Tenant, now: datetime, until: datetime | None
) -> list[Planned]:
    """Each reachable lead's next follow-up or reactivation, evaluated at ``now``.

    ``until`` keeps only what is due by then (inside business hours); None keeps every next
    step, however far ahead (the re-engagement page).
    """
    if not features.enabled(tenant.features, features.FOLLOW_UPS):
        return []  # the operator switched follow-ups off for this agency
    agency = await _agency(session, tenant)
    if until is not None and not business_hours.is_open(agency.hours, until):
        return []
    found: list[Planned] = []
    if agency.policy.follow_up_enabled:
        steps = len(agency.policy.delays)
        for candidate in await followup_queries.silent_leads(session, tenant.id, steps=steps):
            item = await _follow_up(session, agency, candidate, now)
            if item is not None and (until is None or item.send_at <= until):
                found.append(item)
    if agency.policy.reactivation_enabled:
        nudged = {item.lead.id for item in found}
        idle_since = now - timedelta(days=agency.policy.reactivation_days)
        for candidate in await followup_queries.idle_leads(
            session, tenant.id, idle_since=idle_since, steps=agency.policy.reactivation_max
        ):
            if candidate.lead.id in nudged:
                continue
            item = await _reactivation(session, agency, candidate, now)
            if item is not None and (until is None or item.send_at <= until):
                found.append(item)
    return sorted(found, key=lambda item: item.send_at)


async def _next_step(
    session: AsyncSession, tenant_id: uuid.UUID, lead: Lead, kind: str
) -> tuple[datetime, int, datetime | None]:
    anchor = lead.last_inbound_at
    assert anchor is not None  # the queries only return leads who wrote
    claimed = await followup_queries.claimed_steps(
        session, tenant_id, lead_id=lead.id, kind=kind, anchor=anchor
    )
    if not claimed:
        return anchor, 1, None
    return anchor, claimed[-1].step + 1, claimed[-1].send_at


async def _follow_up(
    session: AsyncSession, agency: _Agency, candidate: Candidate, now: datetime
) -> Planned | None:
    lead = candidate.lead
    anchor, step, previous = await _next_step(session, agency.tenant.id, lead, "follow_up")
    due = nudge.follow_up_due(agency.policy, base=candidate.base, step=step, previous_at=previous)
    if due is None:
        return None
    since = max(candidate.base, previous) if previous else candidate.base
    listings = await _listings(session, agency.tenant.id, lead, since=since, limit=1)
    text = nudge.follow_up_text(
        step=step,
        name=lead.name,
        profile=lead.custom_data or {},
        listing=listings[0] if listings else None,
    )
    send_at = business_hours.next_opening(agency.hours, due)
    return _planned(agency, lead, "follow_up", step, anchor, send_at, text, listings, now)


async def _reactivation(
    session: AsyncSession, agency: _Agency, candidate: Candidate, now: datetime
) -> Planned | None:
    lead = candidate.lead
    anchor, step, previous = await _next_step(session, agency.tenant.id, lead, "reactivation")
    due = nudge.reactivation_due(
        agency.policy, last_talk=candidate.base, step=step, previous_at=previous
    )
    if due is None:
        return None
    listings = await _listings(
        session, agency.tenant.id, lead, since=candidate.base, limit=MAX_REACTIVATION_LISTINGS
    )
    settings = agency.tenant.settings or {}
    text = nudge.reactivation_text(
        name=lead.name,
        profile=lead.custom_data or {},
        listings=listings,
        persona=str(settings.get("persona_name") or _PERSONA),
        agency=str(settings.get("agency_name") or agency.tenant.name),
    )
    send_at = business_hours.next_opening(agency.hours, due)
    return _planned(agency, lead, "reactivation", step, anchor, send_at, text, listings, now)


async def _listings(
    session: AsyncSession, tenant_id: uuid.UUID, lead: Lead, *, since: datetime, limit: int
) -> list[nudge.Listing]:
    profile = lead.custom_data or {}
    if not ready_to_search(profile):
        return []
    found = await followup_queries.fresh_listings(
        session, tenant_id, filters=filters_from_profile(profile), since=since, limit=limit
    )
    return [
        nudge.Listing(
            hit=to_hit(prop),
            previous_price=int(prop.previous_price)
            if prop.previous_price is not None
            and prop.price_reduced_at is not None
            and prop.price_reduced_at > since
            else None,
        )
        for prop in found
    ]


def _planned(
    agency: _Agency,
    lead: Lead,
    kind: str,
    step: int,
    anchor: datetime,
    send_at: datetime,
    text: str,
    listings: list[nudge.Listing],
    now: datetime,
) -> Planned | None:
    channel = agency.channels.get(lead.channel_id) if lead.channel_id else None
    if channel is None:
        return None  # no way to reach the lead
    at = max(send_at, now)
    needs = not nudge.window_open(channel.provider, lead.last_inbound_at, at)
    template = pick(stored_templates(channel.templates), kind) if needs else None
    settings = agency.tenant.settings or {}
    values = {
        "lead_name": nudge.first_name(lead.name) or "tudo bem",
        "interest": nudge.interest(lead.custom_data or {}),
        "listing": nudge.listing_line(listings[0]) if listings else "novas opções",
        "agency": str(settings.get("agency_name") or agency.tenant.name),
        "persona": str(settings.get("persona_name") or _PERSONA),
        "text": text,
    }
    return Planned(
        lead=lead,
        kind=kind,
        step=step,
        anchor=anchor,
        send_at=send_at,
        text=text,
        template=template,
        template_values=fill(template, values) if template else [],
        needs_template=needs,
    )


async def preview(session: AsyncSession, *, tenant: Tenant, at: datetime) -> list[dict[str, Any]]:
    """What would go out at ``at`` (naive = the agency's zone), as JSON rows; nothing is sent."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=business_hours.from_settings(tenant.settings or {}).zone)
    items = await plan(session, tenant=tenant, now=at, until=at)
    return [item.as_json() for item in items if not (item.needs_template and not item.template)]


async def send_due(session: AsyncSession, *, tenant: Tenant, now: datetime) -> list[PlannedMessage]:
    """Claim and queue every step due at ``now``; a step another worker claimed is skipped."""
    claimed: list[PlannedMessage] = []
    for item in await plan(session, tenant=tenant, now=now, until=now):
        row = await send_one(session, item, user_id=None)
        if row is not None:
            claimed.append(row)
    return claimed


async def send_one(
    session: AsyncSession, item: Planned, *, user_id: uuid.UUID | None
) -> PlannedMessage | None:
    """Claim ``item``'s key and queue its message; None when the key was already taken.

    Outside WhatsApp's 24-hour window the message goes as the channel's approved template,
    or not at all: free text is never attempted there.
    """
    skipped = item.needs_template and item.template is None
    row = await followup_queries.claim(
        session,
        tenant_id=item.lead.tenant_id,
        lead_id=item.lead.id,
        kind=item.kind,
        anchor=item.anchor,
        step=item.step,
        values={
            "status": "skipped" if skipped else "sent",
            "send_at": item.send_at,
            "text": item.text,
            "template": item.template.name if item.template else None,
            "reason": NO_TEMPLATE if skipped else None,
            "user_id": user_id,
        },
    )
    if row is None or skipped:
        return row
    media: dict[str, object] = {"nudge": item.kind, "step": item.step}
    if item.template is not None:
        media["template"] = {**item.template.as_dict(), "values": item.template_values}
    messages = await queue_outbound(session, lead=item.lead, texts=[item.text], media=media)
    row.message_id = messages[0].id
    await session.flush()
    return row
