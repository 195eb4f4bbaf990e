"""A location the lead shares: the agency's listings in the neighbourhood it names.

Listings carry a neighbourhood, not coordinates, so "near" is the neighbourhood (or city) the
pin's name or address names among the agency's own; a pin that names none is answered by the
planner's polite note instead.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Message
from vellarys.domain import phrases
from vellarys.domain.cards import property_card
from vellarys.domain.text import find_places
from vellarys.services.deps import PipelineDeps
from vellarys.services.property_search import search_properties
from vellarys.services.retrieval import optional_step, places_of

log = logging.getLogger(__name__)
NEAR_LIMIT = 3


async def listings_near(
    session: AsyncSession, deps: PipelineDeps, *, lead: Lead, burst: list[Message]
) -> tuple[list[str], list[str]]:
    """The lines that answer the last location of ``burst`` and the codes they show; the
    location is marked ``near`` (its neighbourhood) so the planner does not note it again."""
    location = next((m for m in reversed(burst) if m.type == "location"), None)
    if location is None:
        return [], []
    media = location.media or {}
    said = " - ".join(str(media[k]) for k in ("name", "address") if media.get(k))
    neighborhoods, _ = await places_of(session, lead.tenant_id)
    place = next(iter(find_places(said, neighborhoods)), None)
    embedder = deps.embedder
    if place is None or embedder is None:
        return [], []
    profile = {**(lead.custom_data or {}), "neighborhoods": [place]}
    found = await optional_step(
        session,
        "nearby",
        lambda: search_properties(
            session,
            embedder,
            tenant_id=lead.tenant_id,
            profile=profile,
            text=place,
            k=NEAR_LIMIT,
            widen=False,
        ),
        None,
    )
    hits = list(found.hits) if found else []
    location.media = {**media, "near": place}
    if not (lead.custom_data or {}).get("neighborhoods"):
        lead.custom_data = {**(lead.custom_data or {}), "neighborhoods": [place]}
    if not hits:
        return [phrases.LOCATION_NOTHING_NEAR.format(place=place)], []
    lines = [phrases.LOCATION_NEAR.format(place=place), *(property_card(h) for h in hits)]
    return lines, [h.code for h in hits]
