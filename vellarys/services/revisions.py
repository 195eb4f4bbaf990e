"""What a lead does to a message already sent: edit it, delete it, react to it; and the
notices WhatsApp itself sends (the lead changed number). None of these is answered."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel, Message
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import message as message_queries
from vellarys.domain.message import InboundMessage
from vellarys.domain.phone import normalize_phone

log = logging.getLogger(__name__)

MAX_EDITS_KEPT = 10


async def apply_revision(
    session: AsyncSession, *, channel: Channel, message: InboundMessage, now: datetime
) -> bool:
    """Apply an edit or a deletion to the message it names; False when that message is not
    stored here (an edit then arrives as a new message, a deletion is dropped)."""
    target_id = str(message.media.get("target") or "")
    target = await message_queries.by_external_id_for_update(session, channel.tenant_id, target_id)
    if target is None:
        return False
    media: dict[str, Any] = dict(target.media or {})
    if message.type == "edit":
        edits = [*media.get("edits", []), {"text": target.content, "at": now.isoformat()}]
        media["edits"] = edits[-MAX_EDITS_KEPT:]
        target.content = message.text
    else:
        # Deleted for everyone: the text goes; the row stays so the conversation reads right.
        media.update(deleted=True, deleted_at=now.isoformat())
        target.content = ""
    target.media = media
    await session.flush()
    return True


async def attach_reaction(
    session: AsyncSession, *, channel: Channel, message: InboundMessage
) -> Message | None:
    """Record the lead's emoji on the message it reacts to (an empty one takes it back)."""
    target_id = str(message.media.get("reacted_to") or "")
    target = await message_queries.by_external_id_for_update(session, channel.tenant_id, target_id)
    if target is None:
        return None
    media: dict[str, Any] = dict(target.media or {})
    emoji = str(message.media.get("emoji") or "")
    if emoji:
        media["reaction"] = emoji
    else:
        media.pop("reaction", None)
    target.media = media
    await session.flush()
    return target


async def apply_system_notice(
    session: AsyncSession, *, channel: Channel, message: InboundMessage
) -> bool:
    """A lead who changed number keeps their conversation under the new number (unless that
    number already is another lead); other notices (a security code changed) need nothing."""
    new_phone = message.media.get("new_phone")
    if message.media.get("system_type") != "user_changed_number" or not new_phone:
        return False
    try:
        old, new = normalize_phone(message.phone), normalize_phone(str(new_phone))
    except ValueError:
        return False
    lead = await lead_queries.by_phone(session, channel.tenant_id, old)
    if lead is None or old == new or await lead_queries.by_phone(session, channel.tenant_id, new):
        return False
    lead.phone = new
    await session.flush()
    log.info("lead changed number", extra={"lead_id": str(lead.id)})
    return True
