"""read_message: the ordered acts of a lead's new message(s), with this lead's context.

The context comes from the database (the agency's staff and cities, the listings the assistant
showed this lead); the clauses no rule explains are classified by the nearest labelled examples
with the local E5 model, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.embeddings import act_corpus
from vellarys.db.models import Lead
from vellarys.db.queries import user as user_queries
from vellarys.domain.conversation import Turn
from vellarys.domain.intent import listing_codes
from vellarys.domain.understanding import Act, UnderstandingContext, understand
from vellarys.errors import EmbeddingError
from vellarys.services import property_search
from vellarys.services.deps import PipelineDeps
from vellarys.services.tenant_memo import TenantMemo

log = logging.getLogger(__name__)


async def read_message(
    session: AsyncSession, deps: PipelineDeps, *, lead: Lead, history: Sequence[Turn], text: str
) -> list[Act]:
    """The acts of ``text``; rules only when the local model cannot run."""
    context = await understanding_context(session, lead=lead, history=history)
    try:
        classifier = await asyncio.to_thread(act_corpus.classifier, deps.embedder)
        return await asyncio.to_thread(understand, text, context, classifier=classifier)
    except EmbeddingError as exc:
        log.warning("understanding without examples", extra={"error": exc.message})
        return understand(text, context)


async def understanding_context(
    session: AsyncSession, *, lead: Lead, history: Sequence[Turn]
) -> UnderstandingContext:
    """Staff names, the agency's cities and places, and the listings shown to this lead."""
    neighborhoods, cities = await property_search.known_places(session, lead.tenant_id)
    staff = await staff_names(session, lead.tenant_id)
    shown, last_batch = shown_listings(history)
    return UnderstandingContext(
        shown_codes=shown,
        last_shown_batch=last_batch,
        staff_names=staff,
        served_cities=cities,
        known_neighborhoods=neighborhoods,
    )


# The staff a lead may name changes rarely and is read for every message: kept per process,
# like the agency's places, and forgotten when this process changes the staff.
_staff: TenantMemo[list[str]] = TenantMemo(ttl_seconds=30.0)


async def staff_names(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    """The agency's active staff names (``user_queries.staff_names``), kept for a while."""
    cached = _staff.get(session, tenant_id)
    if cached is not None:
        return cached
    names = await user_queries.staff_names(session, tenant_id)
    _staff.put(session, tenant_id, names)
    return names


def staff_cached(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    return _staff.get(session, tenant_id) is not None


def keep_staff(session: AsyncSession, tenant_id: uuid.UUID, names: list[str]) -> None:
    """Keep the staff names read elsewhere (``user_queries.staff_names``' order)."""
    _staff.put(session, tenant_id, names)


def forget_staff(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """The agency's staff changed: the next message reads the names again."""
    _staff.forget(session, tenant_id)


def context_cached(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Whether ``understanding_context`` would run no SQL now (staff and places both kept)."""
    fresh = _staff.get(session, tenant_id) is not None
    return fresh and property_search.places_cached(session, tenant_id)


def shown_listings(history: Sequence[Turn]) -> tuple[list[str], list[str]]:
    """Listing codes shown to the lead (oldest first), and those of the last reply showing any."""
    shown: list[str] = []
    last_batch: list[str] = []
    for turn in history:
        if turn.role != "assistant":
            continue
        codes = [str(c) for c in turn.media.get("properties") or []] or listing_codes(turn.content)
        if codes:
            shown.extend(code for code in codes if code not in shown)
            last_batch = codes
    return shown, last_batch
