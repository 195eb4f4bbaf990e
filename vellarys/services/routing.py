"""Pick the staff member a lead goes to, from the team's profiles and today's load.

The rules are ``domain.routing``; this module reads what they need (staff, the listing the
lead asked about, how many leads each got today in the agency's day) in three queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Property, User
from vellarys.db.queries import handoff as handoff_queries
from vellarys.db.queries import property as property_queries
from vellarys.db.queries import tenant as tenant_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain import business_hours
from vellarys.domain.routing import Candidate, Wanted, route, wanted_specialities


async def agency_day(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> datetime:
    """The start of the agency's current day (in its time zone), as an aware datetime."""
    tenant = await tenant_queries.get(session, tenant_id)
    zone = business_hours.from_settings((tenant.settings if tenant else None) or {}).zone
    return datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)


async def pick(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    profile: Mapping[str, Any],
    property_codes: Sequence[str] = (),
    now: datetime,
) -> User | None:
    """The user the lead goes to by the routing rules, or None when nobody can take it."""
    staff = await user_queries.routable_staff(session, tenant_id)
    listing = await _asked_listing(session, tenant_id, property_codes)
    day_start = await agency_day(session, tenant_id, now)
    load = await handoff_queries.assigned_since(session, tenant_id, day_start)
    wanted = _wanted(profile, listing)
    chosen = route([_candidate(u, load) for u in staff], wanted, day_start.date())
    return next((u for u in staff if chosen is not None and str(u.id) == chosen.key), None)


async def _asked_listing(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Sequence[str]
) -> Property | None:
    """The first listing the lead was shown that has its own broker, else the first one."""
    found = await property_queries.by_codes(session, tenant_id, list(codes))
    listings = [found[c] for c in codes if c in found]
    return next((p for p in listings if p.broker_id is not None), None) or next(
        iter(listings), None
    )


def _wanted(profile: Mapping[str, Any], listing: Property | None) -> Wanted:
    facts = None
    if listing is not None:
        facts = {
            "transaction": listing.transaction,
            "property_type": listing.property_type,
            "price": listing.price,
        }
    places = [str(n) for n in profile.get("neighborhoods") or [] if isinstance(n, str)]
    if listing is not None:
        places.append(listing.neighborhood)
    city = profile.get("city") or (listing.city if listing is not None else None)
    return Wanted(
        listing_broker=str(listing.broker_id) if listing and listing.broker_id else None,
        neighborhoods=tuple(places),
        city=str(city) if city else None,
        specialities=wanted_specialities(profile, facts),
    )


def candidate(user: User, today: int = 0) -> Candidate:
    """A user as the routing rules see them."""
    areas = user.areas or {}
    away: tuple[date | None, date | None] = (user.vacation_from, user.vacation_until)
    return Candidate(
        key=str(user.id),
        role=user.role,
        neighborhoods=tuple(str(n) for n in areas.get("neighborhoods") or ()),
        cities=tuple(str(c) for c in areas.get("cities") or ()),
        specialities=frozenset(str(s) for s in user.specialities or ()),
        cap=user.daily_lead_cap,
        available=user.available,
        away=away,
        today=today,
    )


def _candidate(user: User, load: Mapping[uuid.UUID, int]) -> Candidate:
    return candidate(user, load.get(user.id, 0))
