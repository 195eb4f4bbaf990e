"""What each agency used this month, for the operator (``vellarys tenant usage``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.queries import tenant as tenant_queries
from vellarys.db.queries import usage
from vellarys.errors import NotFound


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (UTC) that contains ``now``."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, following


async def this_month(
    session: AsyncSession, *, now: datetime, slug: str | None = None
) -> list[dict[str, Any]]:
    """One dict per agency: leads, messages in/out, LLM tokens, brokers and stored bytes."""
    if slug is not None and await tenant_queries.by_slug(session, slug) is None:
        raise NotFound(f"No agency with slug {slug!r}.")
    start, end = month_bounds(now)
    rows = await usage.month_usage(session, start=start, end=end, slug=slug)
    return [{"month": f"{start:%Y-%m}", **asdict(row)} for row in rows]
