"""A visit as an iCalendar file (RFC 5545), and the unguessable token of its link."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime

PRODUCT = "-//Vellarys//Visitas//PT-BR"


def ics_token(secret: str, visit_id: uuid.UUID) -> str:
    """The link's token: only whoever got the link (the broker's notice) opens the file."""
    digest = hmac.new(secret.encode(), f"visit-ics:{visit_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def token_ok(secret: str, visit_id: uuid.UUID, token: str) -> bool:
    return hmac.compare_digest(ics_token(secret, visit_id), token)


def visit_calendar(
    *,
    visit_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str,
    description: str,
    stamp: datetime,
    cancelled: bool = False,
) -> bytes:
    # icalendar is imported by a download, not by every process that knows about visits.
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{visit_id}@vellarys")
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
