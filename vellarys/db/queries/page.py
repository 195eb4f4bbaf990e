"""One page of any list: bounded page numbers, a bounded page size, a safe offset.

Every list (leads, messages, handoffs, listings, documents, audit) is paged through here,
so a page number of 10**20 or a size of a million is a 400 with a clear message before any
query runs (PostgreSQL's OFFSET is a 64-bit integer; asyncpg refuses a larger one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql._typing import _ColumnExpressionOrStrLabelArgument

from vellarys.errors import BadRequest

T = TypeVar("T")
MAX_PER_PAGE = 100
# Deep enough for any list a person pages through; bounds OFFSET to 1,000,000 rows.
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A checked page number and size; build it with ``page_request``."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def limit(self) -> int:
        return self.per_page


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of items and the total that matched."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_request(page: int | None = 1, per_page: int | None = 25) -> PageRequest:
    """``BadRequest`` for a page outside ``1..MAX_PAGE`` or a size outside ``1..MAX_PER_PAGE``."""
    page = 1 if page is None else page
    per_page = 25 if per_page is None else per_page
    if not 1 <= page <= MAX_PAGE:
        raise BadRequest(f"Página: de 1 a {MAX_PAGE}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"Itens por página: de 1 a {MAX_PER_PAGE}")
    return PageRequest(page=page, per_page=per_page)


def parse_page_number(text: str | None) -> int:
    """A page number typed in a query string ("", "3", "99999999999999999999"), checked.

    Empty means the first page; anything else that is not a number in ``1..MAX_PAGE`` is a
    ``BadRequest``.
    """
    text = (text or "").strip()
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_PAGE)):
        raise BadRequest(f"Página: de 1 a {MAX_PAGE}")
    return page_request(int(text), 1).page


async def fetch_page(
    session: AsyncSession,
    model: Any,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[_ColumnExpressionOrStrLabelArgument[Any]],
    request: PageRequest,
) -> Page[Any]:
    """One page of ``model`` rows passing ``where`` in ``order_by`` order, with the total.

    The total rides on the rows (``count(*) OVER ()``) so one round trip is enough; it is
    counted apart only for a page past the end.
    """
    statement = select(model, func.count().over().label("total")).where(*where).order_by(*order_by)
    items, total = await counted(session, statement, where, model, request)
    return Page(items=items, total=total, page=request.page, per_page=request.per_page)


async def counted(
    session: AsyncSession,
    statement: Select[Any, int],
    where: Sequence[ColumnElement[bool]],
    model: Any,
    request: PageRequest,
) -> tuple[list[Any], int]:
    """One page of ``statement`` (which selects ``model`` and ``count(*) OVER ()``) and the
    total; the total is counted apart only when the page is past the end."""
    limited = statement.limit(request.limit).offset(request.offset)
    rows = (await session.execute(limited)).all()
    if rows:
        return [row[0] for row in rows], int(rows[0].total)
    if request.offset == 0:
        return [], 0
    total = await session.execute(select(func.count()).select_from(model).where(*where))
    return [], int(total.scalar_one())
