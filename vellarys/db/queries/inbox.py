"""The broker inbox's queries: conversations with unread counts, read marks, search over
message text, new messages since a moment, quick replies. Every one starts from the viewer's
``Scope`` (a broker: their leads and the unassigned queue) or the tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, cast, delete, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import REGCONFIG, insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import ConversationRead, Lead, Message, QuickReply
from vellarys.db.queries.dashboard import Scope, visible_leads

# The expression the GIN index of 0008_inbox is built on; a query must use it verbatim.
FTS_CONFIG = "portuguese"
_CONFIG = cast(literal(FTS_CONFIG), REGCONFIG)


def _document() -> ColumnElement[str]:
    return func.to_tsvector(_CONFIG, func.vellarys_fold(Message.content))


@dataclass(frozen=True, slots=True)
class ConversationRow:
    lead: Lead
    unread: int
    last_text: str
    last_type: str


def _read_at(scope: Scope) -> ColumnElement[datetime]:
    return (
        select(ConversationRead.read_at)
        .where(
            ConversationRead.lead_id == Message.lead_id,
            ConversationRead.user_id == scope.user_id,
        )
        .correlate(Message)
        .scalar_subquery()
    )


def _unread(scope: Scope) -> ColumnElement[int]:
    return (
        select(func.count())
        .where(
            Message.tenant_id == Lead.tenant_id,
            Message.lead_id == Lead.id,
            Message.direction == "inbound",
            Message.type != "reaction",
            Message.created_at > func.coalesce(_read_at(scope), text("'-infinity'::timestamptz")),
        )
        .correlate(Lead)
        .scalar_subquery()
    )


async def conversations(
    session: AsyncSession, scope: Scope, *, archived: bool, mine: bool, limit: int = 100
) -> list[ConversationRow]:
    """The viewer's conversations, newest message first, with unread counts and the last
    message (in one round trip)."""
    last = (
        select(Message.content, Message.type)
        .where(Message.tenant_id == Lead.tenant_id, Message.lead_id == Lead.id)
        .order_by(Message.created_at.desc())
        .limit(1)
        .correlate(Lead)
        .lateral("last")
    )
    statement = (
        select(Lead, _unread(scope).label("unread"), last.c.content, last.c.type)
        .outerjoin(last, literal(True))
        .where(visible_leads(scope), Lead.last_message_at.is_not(None))
        .where(Lead.archived_at.is_not(None) if archived else Lead.archived_at.is_(None))
        .order_by(Lead.last_message_at.desc())
        .limit(limit)
    )
    if mine:
        statement = statement.where(Lead.assigned_user_id == scope.user_id)
    rows = (await session.execute(statement)).all()
    return [ConversationRow(r[0], int(r[1] or 0), r[2] or "", r[3] or "") for r in rows]


async def unread_total(session: AsyncSession, scope: Scope) -> int:
    statement = select(func.coalesce(func.sum(_unread(scope)), 0)).where(
        visible_leads(scope), Lead.archived_at.is_(None)
    )
    return int((await session.execute(statement)).scalar_one())


async def mark_read(session: AsyncSession, scope: Scope, lead_id: uuid.UUID, at: datetime) -> None:
    statement = insert(ConversationRead).values(
        tenant_id=scope.tenant_id, lead_id=lead_id, user_id=scope.user_id, read_at=at
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ConversationRead.lead_id, ConversationRead.user_id],
        set_={"read_at": func.greatest(ConversationRead.read_at, at)},
    )
    await session.execute(statement)


@dataclass(frozen=True, slots=True)
class SearchHit:
    message: Message
    lead: Lead
    snippet: str
    rank: float


async def search(
    session: AsyncSession, scope: Scope, query: str, *, limit: int = 50
) -> list[SearchHit]:
    """Messages whose text matches ``query`` (Portuguese stemming, accents folded), best
    first, in the conversations the viewer may see."""
    tsquery = func.websearch_to_tsquery(_CONFIG, func.vellarys_fold(query))
    document = _document()
    rank = func.ts_rank(document, tsquery)
    snippet = func.ts_headline(
        _CONFIG,
        Message.content,
        func.websearch_to_tsquery(_CONFIG, query),
        "MaxWords=18, MinWords=6, StartSel=«, StopSel=»",
    )
    statement = (
        select(Message, Lead, snippet, rank)
        .join(Lead, Lead.id == Message.lead_id)
        .where(
            Message.tenant_id == scope.tenant_id,
            visible_leads(scope),
            document.op("@@")(tsquery),
        )
        .order_by(rank.desc(), Message.created_at.desc())
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return [SearchHit(r[0], r[1], str(r[2]), float(r[3])) for r in rows]


async def messages_since(
    session: AsyncSession, scope: Scope, since: datetime, *, limit: int = 200
) -> list[tuple[Message, Lead]]:
    """Messages written or changed after ``since`` in the viewer's conversations, oldest
    first (the inbox's live stream)."""
    changed = func.greatest(Message.created_at, Message.updated_at)
    statement = (
        select(Message, Lead)
        .join(Lead, Lead.id == Message.lead_id)
        .where(
            Message.tenant_id == scope.tenant_id,
            visible_leads(scope),
            # Two indexed conditions (tenant, created_at) and (tenant, updated_at).
            or_(Message.created_at > since, Message.updated_at > since),
        )
        .order_by(changed, Message.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def database_now(session: AsyncSession) -> datetime:
    now: datetime = (await session.execute(select(func.clock_timestamp()))).scalar_one()
    return now


async def quick_replies(session: AsyncSession, tenant_id: uuid.UUID) -> list[QuickReply]:
    found = await session.execute(
        select(QuickReply).where(QuickReply.tenant_id == tenant_id).order_by(QuickReply.shortcut)
    )
    return list(found.scalars())


async def quick_reply(
    session: AsyncSession, tenant_id: uuid.UUID, reply_id: uuid.UUID
) -> QuickReply | None:
    found = await session.execute(
        select(QuickReply).where(QuickReply.tenant_id == tenant_id, QuickReply.id == reply_id)
    )
    return found.scalar_one_or_none()


async def shortcut_taken(
    session: AsyncSession, tenant_id: uuid.UUID, shortcut: str, *, other_than: uuid.UUID | None
) -> bool:
    statement = select(QuickReply.id).where(
        QuickReply.tenant_id == tenant_id, QuickReply.shortcut == shortcut
    )
    if other_than is not None:
        statement = statement.where(QuickReply.id != other_than)
    return (await session.execute(statement)).first() is not None


async def delete_quick_reply(
    session: AsyncSession, tenant_id: uuid.UUID, reply_id: uuid.UUID
) -> bool:
    done = await session.execute(
        delete(QuickReply)
        .where(QuickReply.tenant_id == tenant_id, QuickReply.id == reply_id)
        .returning(QuickReply.id)
    )
    return done.first() is not None
