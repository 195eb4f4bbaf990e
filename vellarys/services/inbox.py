"""The broker inbox: conversations with unread counts, read marks, archive, search, quick
replies and the live feed of new messages. A broker sees their leads and the unassigned
queue (the leads list's rule); a lead they may not see is ``NotFound``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Message, QuickReply
from vellarys.db.queries import dashboard as dashboard_queries
from vellarys.db.queries import inbox as queries
from vellarys.domain.quick_reply import check_quick_reply, fill
from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services import lead_acts
from vellarys.services.auth import Viewer
from vellarys.services.dashboard import matched_codes, scope_of

MAX_QUERY_CHARS = 200
ConversationRow = queries.ConversationRow
SearchHit = queries.SearchHit


async def conversations(
    session: AsyncSession, viewer: Viewer, *, archived: bool = False, mine: bool = False
) -> list[ConversationRow]:
    """The viewer's conversations, newest first, each with its unread count."""
    return await queries.conversations(session, scope_of(viewer), archived=archived, mine=mine)


async def unread_total(session: AsyncSession, viewer: Viewer) -> int:
    return await queries.unread_total(session, scope_of(viewer))


@dataclass(frozen=True, slots=True)
class OpenConversation:
    lead: Lead
    messages: list[Message]
    quick_replies: list[tuple[QuickReply, str]]  # each with its text filled for this lead


async def open_conversation(
    session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, *, now: datetime
) -> OpenConversation:
    """One conversation, marked read up to ``now`` for the viewer."""
    lead = await lead_acts.find_lead(session, viewer.actor, lead_id)
    messages = await dashboard_queries.conversation(session, viewer.tenant_id, lead.id)
    await queries.mark_read(session, scope_of(viewer), lead.id, now)
    codes = matched_codes(messages, [])
    values = {
        "nome": (lead.name or "").split(" ")[0],
        "corretor": viewer.name.split(" ")[0],
        "imovel": codes[-1] if codes else "",
    }
    replies = await queries.quick_replies(session, viewer.tenant_id)
    return OpenConversation(lead, messages, [(r, fill(r.body, values)) for r in replies])


async def set_archived(
    session: AsyncSession, viewer: Viewer, lead_id: uuid.UUID, *, archived: bool, now: datetime
) -> Lead:
    """Archive the conversation (out of the inbox until the lead writes again) or bring it
    back."""
    lead = await lead_acts.find_lead(session, viewer.actor, lead_id)
    lead.archived_at = now if archived else None
    await session.flush()
    return lead


async def search(session: AsyncSession, viewer: Viewer, query: str) -> list[SearchHit]:
    """Messages matching ``query`` in the viewer's conversations, best first (Portuguese
    full text: "famílias" finds "familia", "alugar" finds "aluguel")."""
    query = query.strip()
    if not query:
        return []
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"A busca tem no máximo {MAX_QUERY_CHARS} caracteres.")
    return await queries.search(session, scope_of(viewer), query)


async def feed_start(session: AsyncSession) -> datetime:
    """The moment a live feed starts from (the database's clock)."""
    return await queries.database_now(session)


async def changes_since(
    session: AsyncSession, viewer: Viewer, since: datetime
) -> tuple[list[dict[str, Any]], datetime]:
    """What the live feed sends: the messages written or updated after ``since`` (as event
    data), and the database's clock to ask from next time."""
    now = await queries.database_now(session)
    rows = await queries.messages_since(session, scope_of(viewer), since)
    return [_event(message, lead) for message, lead in rows], now


def _event(message: Message, lead: Lead) -> dict[str, Any]:
    return {
        "lead_id": str(lead.id),
        "lead": lead.name or lead.phone,
        "message_id": str(message.id),
        "direction": message.direction,
        "role": message.role,
        "type": message.type,
        "status": message.status,
        "text": message.content[:200],
        "typing": message.direction == "inbound" and message.processed_at is None,
        "at": max(message.created_at, message.updated_at).isoformat(),
    }


async def quick_replies(session: AsyncSession, viewer: Viewer) -> list[QuickReply]:
    return await queries.quick_replies(session, viewer.tenant_id)


async def save_quick_reply(
    session: AsyncSession,
    viewer: Viewer,
    *,
    shortcut: str,
    body: str,
    reply_id: uuid.UUID | None = None,
) -> QuickReply:
    """Create (``reply_id`` None) or edit one of the agency's quick replies; every staff
    member may, as they are the agency's shared answers."""
    reply = None
    if reply_id is not None:
        reply = await queries.quick_reply(session, viewer.tenant_id, reply_id)
        if reply is None:
            raise NotFound("Resposta rápida não encontrada.")
    shortcut = shortcut.strip().lstrip("/").lower()
    problem = check_quick_reply(shortcut, body)
    if problem:
        raise BadRequest(problem)
    if await queries.shortcut_taken(session, viewer.tenant_id, shortcut, other_than=reply_id):
        raise Conflict(f"Já existe uma resposta rápida /{shortcut}.")
    if reply is None:
        reply = QuickReply(tenant_id=viewer.tenant_id, shortcut=shortcut, body=body.strip())
        session.add(reply)
    else:
        reply.shortcut, reply.body = shortcut, body.strip()
    await session.flush()
    return reply


async def delete_quick_reply(session: AsyncSession, viewer: Viewer, reply_id: uuid.UUID) -> None:
    if not await queries.delete_quick_reply(session, viewer.tenant_id, reply_id):
        raise NotFound("Resposta rápida não encontrada.")
