"""A lead who calls the agency's WhatsApp number. The assistant cannot take calls: it answers
by message, and within business hours it asks a broker to call the lead back (a handoff, so the
broker hears of it on WhatsApp like any other)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Message
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain import business_hours, phrases
from vellarys.domain.conversation import Turn
from vellarys.services.deps import PipelineDeps
from vellarys.services.handoff import hand_off

BROKER_NOTE = "o lead ligou pelo WhatsApp e ninguém atendeu; retorne a ligação."


def is_missed_call(message: Message) -> bool:
    return message.type == "call" and (message.media or {}).get("call") == "missed"


async def answer_missed_call(
    session: AsyncSession, deps: PipelineDeps, *, lead: Lead, history: Sequence[Turn]
) -> tuple[str, bool]:
    """The line that answers a missed call, and whether a broker was asked to call back
    (then the assistant steps aside, as when a lead asks for a person)."""
    tenant = await tenant_queries.get(session, lead.tenant_id)
    hours = business_hours.from_settings((tenant.settings if tenant else None) or {})
    if not business_hours.is_open(hours, deps.clock.now()):
        return phrases.CALL_MISSED_CLOSED, False
    await hand_off(session, deps, lead=lead, reason="requested", history=history, note=BROKER_NOTE)
    return phrases.CALL_MISSED_OPEN, True
