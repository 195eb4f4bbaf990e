"""Leads that arrive from elsewhere (a portal's lead integration, the agency's site or CRM
through the API): matched by phone or created, linked to the listing asked about, greeted
on WhatsApp, and announced to the agency's webhooks. Also: the ad a WhatsApp lead clicked.

One act for every edge: the portal route and ``POST /api/v1/leads`` both call ``take_lead``.
The same intake key (a portal's lead id, an Idempotency-Key, an external id) returns the
first call's lead and sends nothing again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel, Lead, Message, Property
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import integration as queries
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import property as property_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain import lead_source
from vellarys.domain.first_contact import AskedListing, first_contact_text, listing_phrase
from vellarys.domain.message import MAX_NAME, clean_text
from vellarys.domain.nudge import first_name, window_open
from vellarys.domain.phone import normalize_phone, phone_variants
from vellarys.domain.template import fill, pick, stored_templates
from vellarys.domain.webhook import LEAD_CREATED
from vellarys.errors import BadRequest, Conflict
from vellarys.services import webhooks
from vellarys.services.outbound import queue_outbound

MAX_MESSAGE = 4096
MAX_EMAIL = 320
MAX_KEY = 255
_WHATSAPP_FIRST = ("meta", "zapi", "evolution")


@dataclass(frozen=True, slots=True)
class LeadIn:
    """A lead sent in. ``key`` makes the call idempotent (namespaced by the caller)."""

    phone: str
    source: str
    name: str | None = None
    email: str | None = None
    message: str | None = None
    listing_code: str | None = None
    campaign: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    greet: bool = True


@dataclass(frozen=True, slots=True)
class Intake:
    lead: Lead
    created: bool  # the lead is new
    replayed: bool  # the same key was sent before: nothing was done this time
    listing: Property | None = None
    first_message: Message | None = None
    not_greeted: str | None = None  # why no first message went out


def fingerprint(lead_in: LeadIn) -> str:
    """A digest of what was sent, to tell a retry from a different lead under the same key."""
    values = {k: getattr(lead_in, k) for k in ("phone", "source", "name", "email", "message")}
    values |= {"listing": lead_in.listing_code, "campaign": lead_in.campaign}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _checked(lead_in: LeadIn) -> tuple[str, str]:
    """The phone (E.164) and source as stored; ``BadRequest`` before anything is written."""
    try:
        phone = normalize_phone(lead_in.phone)
    except ValueError as exc:
        raise BadRequest("Telefone inválido: informe DDD e número.") from exc
    try:
        source = lead_source.check_source(lead_in.source)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    limits: list[tuple[str | None, int, str]] = [
        (lead_in.name, MAX_NAME, "nome"),
        (lead_in.email, MAX_EMAIL, "e-mail"),
        (lead_in.message, MAX_MESSAGE, "mensagem"),
        (lead_in.key, MAX_KEY, "chave"),
        (lead_in.campaign, lead_source.MAX_CAMPAIGN, "campanha"),
    ]
    for value, limit, label in limits:
        if value is not None and len(value) > limit:
            raise BadRequest(f"O campo {label} tem no máximo {limit} caracteres.")
    return phone, source


async def take_lead(
    session: AsyncSession, *, tenant_id: uuid.UUID, lead_in: LeadIn, now: datetime
) -> Intake:
    """Create or match the lead, link the listing, queue the first message (see module)."""
    phone, source = _checked(lead_in)
    if lead_in.key is not None:
        claim, new = await queries.claim_intake(
            session, tenant_id=tenant_id, key=lead_in.key, fingerprint=fingerprint(lead_in)
        )
        if not new:
            return await _replay(session, tenant_id, claim.lead_id, claim.fingerprint, lead_in)
    listing = await _listing(session, tenant_id, lead_in.listing_code)
    lead, created = await _match_or_create(session, tenant_id, phone, source, lead_in, now)
    _link(lead, lead_in, listing)
    if lead_in.key is not None:
        claim.lead_id, claim.created = lead.id, created
    await session.flush()
    if created:
        data = webhooks.lead_data(lead)
        await webhooks.emit(session, tenant_id=tenant_id, event=LEAD_CREATED, data=data, now=now)
    message: Message | None = None
    reason: str | None = "não pedido"
    if lead_in.greet:
        message, reason = await _greet(session, lead=lead, listing=listing, now=now)
    return Intake(lead, created, False, listing, message, reason)


async def _replay(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID | None,
    stored_fingerprint: str,
    lead_in: LeadIn,
) -> Intake:
    if stored_fingerprint != fingerprint(lead_in):
        raise Conflict("Esta chave já foi usada com outros dados.")
    lead = None if lead_id is None else await lead_queries.get(session, tenant_id, lead_id)
    if lead is None or lead.erased_at is not None:
        raise Conflict("O lead desta chave não existe mais.")
    listing = await _listing(session, tenant_id, lead_in.listing_code)
    return Intake(lead, created=False, replayed=True, listing=listing, not_greeted="repetido")


async def _listing(
    session: AsyncSession, tenant_id: uuid.UUID, code: str | None
) -> Property | None:
    code = (code or "").strip()
    if not code:
        return None
    return (await property_queries.by_codes(session, tenant_id, [code])).get(code)


async def _match_or_create(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    phone: str,
    source: str,
    lead_in: LeadIn,
    now: datetime,
) -> tuple[Lead, bool]:
    """The lead of this phone (any of its forms), or a new one with this source."""
    lead = await queries.lead_by_phones(session, tenant_id, phone_variants(phone))
    if lead is not None:
        return lead, False
    channel = await _default_channel(session, tenant_id)
    values = {
        "tenant_id": tenant_id,
        "phone": phone,
        "name": clean_text(lead_in.name or "").strip()[:MAX_NAME] or None,
        "channel_id": channel.id if channel else None,
        "source": source,
        "campaign": clean_text(lead_in.campaign or "").strip() or None,
        "last_message_at": now,
    }
    inserted = await queries.insert_lead(session, values)
    if inserted is not None:
        return inserted, True
    # Another request created it a moment ago (same phone, another key).
    found = await queries.lead_by_phones(session, tenant_id, [phone])
    if found is None:
        raise Conflict("O lead mudou durante o envio; tente de novo.")
    return found, False


async def _default_channel(session: AsyncSession, tenant_id: uuid.UUID) -> Channel | None:
    """The agency's WhatsApp number (the simulator where there is none)."""
    channels = [c for c in await channel_queries.for_tenant(session, tenant_id) if c.active]
    channels.sort(key=lambda c: c.provider not in _WHATSAPP_FIRST)
    return channels[0] if channels else None


def _link(lead: Lead, lead_in: LeadIn, listing: Property | None) -> None:
    """Keep what arrived (bounded) and what the listing tells about the lead's search."""
    details = dict(lead.source_details or {})
    arrival = lead_source.bounded_details(lead_in.details)
    if lead_in.email:
        arrival["email"] = clean_text(lead_in.email).strip()
    if lead_in.message:
        arrival["message"] = clean_text(lead_in.message)[: lead_source.MAX_DETAIL_CHARS]
    if lead_in.listing_code:
        arrival["listing_code"] = lead_in.listing_code.strip()[:32]
        arrival["listing_found"] = listing is not None
    arrival["source"] = lead_source.check_source(lead_in.source)
    intakes = [*(details.get("intakes") or []), arrival][-10:]
    lead.source_details = {**details, "intakes": intakes}
    if lead.name is None and lead_in.name:
        lead.name = clean_text(lead_in.name).strip()[:MAX_NAME] or None
    if listing is not None:
        profile = dict(lead.custom_data or {})
        profile.setdefault("intent", "rent" if listing.transaction == "rent" else "buy")
        profile.setdefault("property_type", listing.property_type)
        profile.setdefault("city", listing.city)
        lead.custom_data = profile


async def _greet(
    session: AsyncSession, *, lead: Lead, listing: Property | None, now: datetime
) -> tuple[Message | None, str | None]:
    """Queue the first message; outside WhatsApp's 24-hour window, as the channel's
    ``first_contact`` template, or not at all."""
    if lead.opted_out or lead.erased_at is not None or lead.ai_paused:
        return None, "lead sem atendimento automático"
    channel = await _greeting_channel(session, lead)
    if channel is None:
        return None, "sem canal de WhatsApp"
    text, values = await _first_text(session, lead, listing)
    media: dict[str, Any] = {"first_contact": True, "properties": [listing.code] if listing else []}
    if not window_open(channel.provider, lead.last_inbound_at, now):
        template = pick(stored_templates(channel.templates), "first_contact")
        if template is None:
            return None, "fora da janela de 24 h e sem modelo first_contact aprovado"
        media["template"] = {**template.as_dict(), "values": fill(template, values)}
    messages = await queue_outbound(session, lead=lead, texts=[text], media=media)
    return messages[0], None


async def _greeting_channel(session: AsyncSession, lead: Lead) -> Channel | None:
    channel = None
    if lead.channel_id is not None:
        channel = await channel_queries.get(session, lead.tenant_id, lead.channel_id)
    if channel is None or not channel.active:
        # A lead typed in or imported with no channel yet: the agency's number.
        channel = await _default_channel(session, lead.tenant_id)
        lead.channel_id = channel.id if channel else lead.channel_id
    return channel


async def _first_text(
    session: AsyncSession, lead: Lead, listing: Property | None
) -> tuple[str, dict[str, str]]:
    """The greeting, and the values a template of it takes."""
    tenant = await tenant_queries.get(session, lead.tenant_id)
    settings = (tenant.settings if tenant else None) or {}
    agency = str(settings.get("agency_name") or (tenant.name if tenant else "imobiliária"))
    persona = str(settings.get("persona_name") or "a assistente")
    asked = _asked(listing)
    origin = lead_source.label(lead.source).removeprefix("Portal · ")
    text = first_contact_text(
        lead_name=lead.name, persona=persona, agency=agency, origin=origin, listing=asked
    )
    values = {
        "lead_name": first_name(lead.name) or "tudo bem",
        "listing": listing_phrase(asked) if asked else "um imóvel",
        "agency": agency,
        "persona": persona,
        "origin": origin,
        "text": text,
    }
    return text, values


def _asked(listing: Property | None) -> AskedListing | None:
    if listing is None:
        return None
    return AskedListing(
        code=listing.code,
        title=listing.title,
        neighborhood=listing.neighborhood,
        transaction=listing.transaction,
        price=listing.price,
    )


@dataclass(frozen=True, slots=True)
class SourceRow:
    source: str
    campaign: str | None
    leads: int
    hot: int
    won: int


async def leads_by_source(
    session: AsyncSession, *, tenant_id: uuid.UUID, visible_to: uuid.UUID | None
) -> list[SourceRow]:
    """Leads, hot leads and won leads per source and campaign (for the overview)."""
    rows = await queries.leads_by_source(session, tenant_id, visible_to)
    return [SourceRow(*row) for row in rows]


def note_referral(lead: Lead, referral: Mapping[str, Any]) -> None:
    """A WhatsApp lead who came from a click-to-WhatsApp ad: the first ad is kept, and a lead
    with no other source becomes an ad lead with the ad's headline as its campaign."""
    details = dict(lead.source_details or {})
    if details.get("referral"):
        return
    kept = lead_source.referral_details(referral)
    if not kept:
        return
    lead.source_details = {**details, "referral": kept}
    if lead.source == lead_source.WHATSAPP:
        lead.source = lead_source.AD
        lead.campaign = lead.campaign or lead_source.referral_campaign(kept)
