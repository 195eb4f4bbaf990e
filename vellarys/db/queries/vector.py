"""Nearest-neighbour search that stays correct per tenant on a shared HNSW index.

An HNSW scan applies ``WHERE tenant_id = ...`` after the index walk, so a small tenant in a big
shared index gets too few rows back. Candidate sets up to ``EXACT_SEARCH_MAX_ROWS`` rows are
searched exactly (the btree narrows by tenant, then a sort by distance the HNSW index cannot
serve); bigger ones use HNSW with a raised ``hnsw.ef_search`` (and iterative scans on pgvector
0.8+), falling back to the exact search whenever the index returns fewer rows than asked.

The HNSW walk meets rows of every tenant and the filters drop the others afterwards. On this
path more than ``exact_max_rows`` rows pass the filters, so at least ``exact_max_rows /
rows in the index`` of what the walk meets passes them; ``ef_search`` is raised until about
``EF_SEARCH_PER_ROW * k`` rows are expected to pass (measured by ``bench/brain.py``: at
ef_search 100, 20k of 100k listings with a sale filter lost 12% of the top 10; at 300, 1.5%).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ClauseElement,
    ColumnElement,
    Executable,
    Row,
    Select,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy import column as sql_column
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

log = logging.getLogger(__name__)

EXACT_SEARCH_MAX_ROWS = 10_000
MIN_EF_SEARCH = 100
MAX_EF_SEARCH = 1000
EF_SEARCH_PER_ROW = 3
ITERATIVE_SCAN_VERSION = (0, 8, 0)

SearchPath = Literal["exact", "hnsw", "hnsw_then_exact"]

_extensions = table("pg_extension", sql_column("extname"), sql_column("extversion"))
_classes = table("pg_class", sql_column("oid"), sql_column("reltuples"))


@dataclass(frozen=True, slots=True)
class Nearest:
    """Rows ordered by distance (nearest first) and which path produced them."""

    rows: list[Row[Any]]
    path: SearchPath
    candidates: int  # rows matching the filters, counted up to the threshold + 1


async def nearest(
    session: AsyncSession,
    candidates: Select[Any],
    distance: ColumnElement[Any],
    *,
    k: int,
    exact_max_rows: int = EXACT_SEARCH_MAX_ROWS,
    at_most: int | None = None,
) -> Nearest:
    """The ``k`` candidates nearest by ``distance`` (an ``embedding <=> query`` expression).

    ``candidates`` selects the wanted columns from the embedding table (joined as needed) with
    every filter, tenant first, already in its WHERE clause. Returns ``min(k, matching rows)``.
    ``at_most`` is a bound on the matching rows the caller already counted: within
    ``exact_max_rows`` the search is exact with no count of its own.
    """
    if k <= 0 or at_most == 0:
        return Nearest(rows=[], path="exact", candidates=0)
    if at_most is not None and at_most <= exact_max_rows:
        rows = await _rows(session, exact_statement(candidates, distance, k))
        return Nearest(rows=rows, path="exact", candidates=at_most)
    size, version, index_rows = await _size(
        session, candidates, cap=exact_max_rows + 1, indexed=_table_name(distance)
    )
    if size == 0:
        return Nearest(rows=[], path="exact", candidates=0)
    if size <= exact_max_rows:
        rows = await _rows(session, exact_statement(candidates, distance, k))
        return Nearest(rows=rows, path="exact", candidates=size)
    await tune_hnsw(
        session,
        k=k,
        version=version,
        ef_search=ef_search_for(k, index_rows=index_rows, exact_max_rows=exact_max_rows),
    )
    rows = await _rows(session, approximate_statement(candidates, distance, k))
    # This path means more than exact_max_rows candidates; fewer than k rows means the
    # index walk lost them to the filters.
    if len(rows) >= k:
        return Nearest(rows=rows, path="hnsw", candidates=size)
    log.info("hnsw returned %d of %d rows; searching exactly", len(rows), k)
    rows = await _rows(session, exact_statement(candidates, distance, k))
    return Nearest(rows=rows, path="hnsw_then_exact", candidates=size)


def exact_statement(candidates: Select[Any], distance: ColumnElement[Any], k: int) -> Select[Any]:
    """Sorted by ``distance + 0``: an expression no index can order by, so no HNSW scan."""
    return candidates.order_by(distance + literal_column("0")).limit(k)


def approximate_statement(
    candidates: Select[Any], distance: ColumnElement[Any], k: int
) -> Select[Any]:
    """Ordered by the bare ``embedding <=> query``: the shape an HNSW index scan serves."""
    return candidates.order_by(distance).limit(k)


def ef_search_for(k: int, *, index_rows: float = 0, exact_max_rows: int = 0) -> int:
    """``hnsw.ef_search`` for a top-``k`` walk on the HNSW path (see the module docstring).

    ``index_rows`` is the planner's row estimate of the indexed table (0 when unknown).
    """
    wanted = k * 10
    if index_rows > 0 and exact_max_rows > 0:
        wanted = max(wanted, math.ceil(EF_SEARCH_PER_ROW * k * index_rows / exact_max_rows))
    return min(MAX_EF_SEARCH, max(MIN_EF_SEARCH, wanted))


async def tune_hnsw(
    session: AsyncSession, *, k: int, version: tuple[int, ...], ef_search: int | None = None
) -> None:
    """Raise ``hnsw.ef_search`` for the rest of the transaction (SET LOCAL semantics).

    It stays raised until the transaction ends, which only makes later HNSW scans in the same
    transaction more thorough. Without ``ef_search``, ``ef_search_for(k)``.
    """
    value = str(ef_search if ef_search is not None else ef_search_for(k))
    settings = [func.set_config("hnsw.ef_search", value, True)]
    if version >= ITERATIVE_SCAN_VERSION:
        settings.append(func.set_config("hnsw.iterative_scan", "relaxed_order", True))
    await session.execute(select(*settings))


async def pgvector_version(session: AsyncSession) -> tuple[int, ...]:
    found = await session.execute(
        select(_extensions.c.extversion).where(_extensions.c.extname == "vector")
    )
    return _version(found.scalar_one_or_none())


async def explain(session: AsyncSession, statement: Executable) -> str:
    """The plan PostgreSQL picks for ``statement`` (with its bound parameters)."""
    result = await session.execute(_Explain(statement))
    return "\n".join(str(row[0]) for row in result)


def _table_name(distance: ColumnElement[Any]) -> str | None:
    """The table of the vector column in ``embedding <=> query`` (None when not a column)."""
    found = getattr(getattr(distance, "left", None), "table", None)
    name = getattr(found, "name", None)
    return name if isinstance(name, str) else None


async def _size(
    session: AsyncSession, candidates: Select[Any], *, cap: int, indexed: str | None = None
) -> tuple[int, tuple[int, ...], float]:
    """How many rows match (counting stops at ``cap``), the pgvector version and the planner's
    row estimate of the ``indexed`` table (0 when unknown), in one trip."""
    matching: Select[Any] = (
        candidates.with_only_columns(literal_column("1"), maintain_column_froms=True)
        .order_by(None)
        .limit(cap)
    )
    version = (
        select(_extensions.c.extversion).where(_extensions.c.extname == "vector").scalar_subquery()
    )
    count = select(func.count()).select_from(matching.subquery()).scalar_subquery()
    estimate: ColumnElement[Any] = (
        select(func.greatest(_classes.c.reltuples, 0))
        .where(_classes.c.oid == func.to_regclass(indexed))
        .scalar_subquery()
        if indexed
        else literal_column("0")
    )
    row = (await session.execute(select(count, version, estimate))).one()
    return int(row[0]), _version(row[1]), float(row[2] or 0)


async def _rows(session: AsyncSession, statement: Select[Any]) -> list[Row[Any]]:
    rows = list((await session.execute(statement)).all())
    # Iterative scans in relaxed order may return rows slightly out of order.
    if rows and "distance" in rows[0]._fields:
        rows.sort(key=lambda row: row.distance)
    return rows


def _version(text: str | None) -> tuple[int, ...]:
    parts: Sequence[str] = (text or "0").split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts)


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Executable) -> None:
        self.statement = statement


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN " + compiler.process(element.statement, **kw)  # type: ignore[arg-type]
