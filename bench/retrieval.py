"""Retrieval benchmark: knowledge recall on the demo KB, and vector-search recall per tenant size.

    .venv/bin/python bench/retrieval.py                 # about 2 minutes
    .venv/bin/python bench/retrieval.py --scale 4       # ~100k listings, more tenants
    .venv/bin/python bench/retrieval.py --tiny          # toy size, the smoke test's

1. Knowledge: seeds the demo agency, indexes its 16 documents with the local E5 model and asks
   the 53 questions of ``bench/data/knowledge_questions.json``: recall@1 and recall@3 (a hit
   when the expected document is among the top documents).
2. Properties: many tenants of sizes 20, 200, 2,000 and 20,000 listings share one HNSW index
   (clustered random 384-d unit vectors stand in for embeddings). For each tenant, recall@10
   against the exact top 10 of: the bare HNSW index (default ``ef_search`` 40, then raised to
   100), and the production strategy (``vellarys.db.queries.vector.nearest``: exact below
   ``EXACT_SEARCH_MAX_ROWS``, HNSW with a raised ``ef_search`` and exact fallback above).

The database is ``TEST_DATABASE_URL``'s server (a scratch database, dropped at the end) or an
embedded pgserver in a temporary folder, deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vellarys.adapters.embeddings import LocalE5Embedder  # noqa: E402
from vellarys.db import migrate  # noqa: E402
from vellarys.db.engine import PoolConfig, create_engine  # noqa: E402
from vellarys.db.models import KnowledgeDocument  # noqa: E402
from vellarys.db.queries import property as property_queries  # noqa: E402
from vellarys.db.queries import vector  # noqa: E402
from vellarys.db.url import libpq_url  # noqa: E402
from vellarys.domain.ports import Embedder  # noqa: E402
from vellarys.domain.property_search import PropertyFilters  # noqa: E402
from vellarys.services import knowledge  # noqa: E402
from vellarys.services.demo import seed_demo  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "knowledge_questions.json"
MODEL = "bench/random-clustered"
DIMENSION = 384
K = 10
# (listings per tenant, tenants at scale 1)
SIZE_CLASSES = ((20, 40), (200, 8), (2_000, 1), (20_000, 1))
TINY_SIZE_CLASSES = ((20, 2), (200, 1))  # --tiny: proves the code runs, measures nothing
NEIGHBORHOODS = ("Pinheiros", "Moema", "Perdizes", "Tatuapé", "Santana", "Butantã", "Mooca")
TYPES = ("apartment", "apartment", "apartment", "house", "studio", "condo_house", "commercial")


# --- database -----------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield from _database_on(libpq_url(external))
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="vellarys-bench-pg-"))
    server: Any = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield from _database_on(str(server.get_uri()))
    finally:
        server.cleanup()


def _database_on(server_url: str) -> Iterator[str]:
    name = f"vellarys_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- knowledge ----------------------------------------------------------------------------


@dataclass
class KnowledgeScores:
    tenant_id: uuid.UUID
    chunks: int
    indexed_seconds: float
    questions: int
    at1: int
    at3: int
    latencies_ms: list[float]

    @property
    def recall1(self) -> float:
        return self.at1 / self.questions

    @property
    def recall3(self) -> float:
        return self.at3 / self.questions


async def knowledge_scores(
    engine: AsyncEngine, embedder: Embedder | None = None
) -> KnowledgeScores:
    """Seed the demo agency, index its documents with E5 and ask the test questions."""
    embedder = embedder or LocalE5Embedder()
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        tenant_id = (await seed_demo(session)).tenant.id
        documents = (
            await session.execute(
                select(KnowledgeDocument.id).where(KnowledgeDocument.tenant_id == tenant_id)
            )
        ).scalars()
        started = time.perf_counter()
        chunks = 0
        for document_id in list(documents):
            chunks += await knowledge.index_document(
                session, embedder, tenant_id=tenant_id, document_id=document_id
            )
        indexed = time.perf_counter() - started
        questions = [
            q
            for q in json.loads(QUESTIONS.read_text(encoding="utf-8"))
            if q["document"] is not None
        ]
        at1 = at3 = 0
        latencies = []
        for item in questions:
            started = time.perf_counter()
            hits = await knowledge.search_knowledge(
                session, embedder, tenant_id=tenant_id, query=item["question"], k=3
            )
            latencies.append((time.perf_counter() - started) * 1000)
            found = [h.document for h in hits]
            at1 += bool(found) and found[0] == item["document"]
            at3 += item["document"] in found
    return KnowledgeScores(tenant_id, chunks, indexed, len(questions), at1, at3, latencies)


async def knowledge_recall(engine: AsyncEngine, embedder: Embedder | None = None) -> str:
    s = await knowledge_scores(engine, embedder)
    return (
        f"knowledge: demo KB, {s.chunks} chunks embedded in {s.indexed_seconds:.1f} s, "
        f"{s.questions} questions\n"
        f"  recall@1 {s.recall1:.3f}   recall@3 {s.recall3:.3f}   "
        f"search p50 {statistics.median(s.latencies_ms):.1f} ms (query embedding included)"
    )


# --- properties ---------------------------------------------------------------------------


@dataclass
class TenantData:
    id: uuid.UUID
    size: int
    centers: np.ndarray


@dataclass
class ClassResult:
    size: int
    tenants: int = 0
    queries: int = 0
    hnsw40: list[float] = field(default_factory=list)
    hnsw100: list[float] = field(default_factory=list)
    strategy: list[float] = field(default_factory=list)
    paths: Counter[str] = field(default_factory=Counter)
    exact_ms: list[float] = field(default_factory=list)
    strategy_ms: list[float] = field(default_factory=list)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)).astype(np.float32)


def _near(rng: np.random.Generator, centers: np.ndarray, count: int) -> np.ndarray:
    """Points around the tenant's centers: cosine ~0.75 to their center, like real listings."""
    picked = centers[rng.integers(0, len(centers), size=count)]
    noise = rng.standard_normal((count, DIMENSION)) / np.sqrt(DIMENSION)
    return _unit(picked + 0.9 * noise)


async def load_listings(
    engine: AsyncEngine,
    scale: int,
    rng: np.random.Generator,
    sizes: tuple[tuple[int, int], ...] = SIZE_CLASSES,
) -> list[TenantData]:
    """Bulk-load tenants, listings and embeddings with COPY, then build the HNSW index once.
    ``sizes``: (listings per tenant, tenants at scale 1) of each size class."""
    global_centers = _unit(rng.standard_normal((256, DIMENSION)))
    tenants: list[TenantData] = []
    for size, count in sizes:
        for _ in range(count * scale):
            centers = global_centers[rng.choice(len(global_centers), size=8, replace=False)]
            tenants.append(TenantData(uuid.uuid4(), size, centers))
    async with engine.begin() as conn:
        await conn.execute(text("DROP INDEX IF EXISTS ix_property_embeddings_hnsw"))
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table(
            "tenants",
            records=[(t.id, f"bench-{i}", f"Bench {i}") for i, t in enumerate(tenants)],
            columns=["id", "slug", "name"],
        )
        for tenant in tenants:
            await _copy_tenant(raw, tenant, rng)
        started = time.perf_counter()
        await conn.execute(text("SET maintenance_work_mem = '512MB'"))
        await conn.execute(
            text(
                "CREATE INDEX ix_property_embeddings_hnsw ON property_embeddings "
                "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
            )
        )
        print(f"  HNSW index built in {time.perf_counter() - started:.1f} s", flush=True)
        await conn.execute(text("ANALYZE properties"))
        await conn.execute(text("ANALYZE property_embeddings"))
    return tenants


async def _copy_tenant(raw: Any, tenant: TenantData, rng: np.random.Generator) -> None:
    ids = [uuid.uuid4() for _ in range(tenant.size)]
    listings = [
        (
            pid,
            tenant.id,
            f"B{n:06d}",
            f"Imóvel {n}",
            TYPES[n % len(TYPES)],
            "rent" if n % 3 == 0 else "sale",
            Decimal(int(rng.integers(2_000, 9_000) if n % 3 == 0 else rng.integers(2, 30) * 5e4)),
            int(rng.integers(0, 5)),
            int(rng.integers(0, 4)),
            NEIGHBORHOODS[n % len(NEIGHBORHOODS)],
            "São Paulo",
            "[]",
        )
        for n, pid in enumerate(ids)
    ]
    await raw.copy_records_to_table(
        "properties",
        records=listings,
        columns=[
            "id",
            "tenant_id",
            "code",
            "title",
            "property_type",
            "transaction",
            "price",
            "bedrooms",
            "parking",
            "neighborhood",
            "city",
            "features",
        ],
    )
    vectors = _near(rng, tenant.centers, tenant.size)
    await raw.copy_records_to_table(
        "property_embeddings",
        records=[
            (uuid.uuid4(), tenant.id, pid, MODEL, "-", v)
            for pid, v in zip(ids, vectors, strict=True)
        ],
        columns=["id", "tenant_id", "property_id", "model", "content_hash", "embedding"],
    )


async def property_recall(
    engine: AsyncEngine, tenants: list[TenantData], queries: int, rng: np.random.Generator
) -> list[ClassResult]:
    results: dict[int, ClassResult] = {}
    async with AsyncSession(engine) as session:
        for tenant in tenants:
            result = results.setdefault(tenant.size, ClassResult(tenant.size))
            result.tenants += 1
            for query in _near(rng, tenant.centers, queries):
                await _measure(session, tenant, query, result)
    return [results[size] for size in sorted(results)]


async def _measure(
    session: AsyncSession,
    tenant: TenantData,
    query: np.ndarray,
    result: ClassResult,
    *,
    filters: PropertyFilters | None = None,
    model: str = MODEL,
) -> None:
    where = property_queries.conditions(tenant.id, filters or PropertyFilters())
    candidates, distance = property_queries.embedded_candidates(
        where, tenant_id=tenant.id, model=model, query=query
    )
    async with session.begin():
        started = time.perf_counter()
        truth = await session.execute(vector.exact_statement(candidates, distance, K))
        result.exact_ms.append((time.perf_counter() - started) * 1000)
        expected = {row[0].id for row in truth}
    if not expected:
        return  # nothing passes the filters: no recall to measure
    for ef_search, bucket in ((40, result.hnsw40), (100, result.hnsw100)):
        async with session.begin():
            # Discourage Sort so the planner walks the HNSW index even for small tenants.
            await session.execute(select(func.set_config("enable_sort", "off", True)))
            # Plan each time: a cached generic plan would keep the Sort chosen before.
            await session.execute(
                select(func.set_config("plan_cache_mode", "force_custom_plan", True))
            )
            await session.execute(select(func.set_config("hnsw.ef_search", str(ef_search), True)))
            found = await session.execute(vector.approximate_statement(candidates, distance, K))
            bucket.append(len({row[0].id for row in found} & expected) / len(expected))
    async with session.begin():
        started = time.perf_counter()
        nearest = await vector.nearest(session, candidates, distance, k=K)
        result.strategy_ms.append((time.perf_counter() - started) * 1000)
        result.strategy.append(len({row[0].id for row in nearest.rows} & expected) / len(expected))
        result.paths[nearest.path] += 1
    result.queries += 1


def property_table(results: list[ClassResult], total: int) -> str:
    lines = [
        f"property vector search: {total:,} listings in one shared HNSW index "
        f"(m=16, ef_construction=64), recall@{K} against the exact top {K}",
        f"  strategy = exact below {vector.EXACT_SEARCH_MAX_ROWS:,} rows, "
        "else HNSW with a raised ef_search (vector.ef_search_for) and exact fallback",
        "  size    tenants queries  hnsw ef=40  hnsw ef=100  strategy  strategy paths"
        "                   exact p50  strategy p50",
    ]
    for r in results:
        paths = ", ".join(f"{p}:{n}" for p, n in sorted(r.paths.items()))
        lines.append(
            f"  {r.size:<7,} {r.tenants:>7} {r.queries:>7}  {statistics.mean(r.hnsw40):>10.3f}"
            f"  {statistics.mean(r.hnsw100):>11.3f}  {statistics.mean(r.strategy):>8.3f}"
            f"  {paths:<30}  {statistics.median(r.exact_ms):>6.1f} ms"
            f"  {statistics.median(r.strategy_ms):>9.1f} ms"
        )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------


async def run(url: str, args: argparse.Namespace, embedder: Embedder | None = None) -> None:
    engine = create_engine(url, PoolConfig(pool_size=2, statement_timeout_ms=0))
    try:
        if not args.skip_knowledge:
            print("indexing the demo knowledge base...", flush=True)
            print(await knowledge_recall(engine, embedder), flush=True)
            print()
        rng = np.random.default_rng(args.seed)
        started = time.perf_counter()
        print("loading listings...", flush=True)
        sizes = TINY_SIZE_CLASSES if args.tiny else SIZE_CLASSES
        tenants = await load_listings(engine, args.scale, rng, sizes)
        total = sum(t.size for t in tenants)
        elapsed = time.perf_counter() - started
        print(f"  {total:,} listings of {len(tenants)} tenants in {elapsed:.1f} s")
        results = await property_recall(engine, tenants, args.queries, rng)
        print(property_table(results, total))
    finally:
        await engine.dispose()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply the number of tenants")
    parser.add_argument("--queries", type=int, default=10, help="queries per tenant")
    parser.add_argument("--seed", type=int, default=20260203)
    parser.add_argument("--skip-knowledge", action="store_true")
    parser.add_argument(
        "--tiny", action="store_true", help="3 tenants of 20 and 200 listings (a smoke run)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    with scratch_database() as url:
        migrate.upgrade(url)
        asyncio.run(run(url, args))
    print(f"\ndone in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
