"""Calibrate the knowledge answer threshold on the project's question set.

    .venv/bin/python -m bench.knowledge_threshold

Seeds the demo agency in a scratch database, indexes its documents with the local E5 model and
asks every question of ``bench/data/knowledge_questions.json``: the answerable ones (a
``document``) should reach the threshold with a hit from that document, the unanswerable ones
(``document: null``) should stay under it, so the lead is told a broker will confirm. Prints
the best-chunk score of each kind and the accuracy at each candidate threshold.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.retrieval import scratch_database  # noqa: E402
from vellarys.adapters.embeddings import LocalE5Embedder  # noqa: E402
from vellarys.db import migrate  # noqa: E402
from vellarys.db.engine import PoolConfig, create_engine  # noqa: E402
from vellarys.db.models import KnowledgeDocument  # noqa: E402
from vellarys.domain.knowledge_answer import KNOWLEDGE_MIN_SCORE, answer_question  # noqa: E402
from vellarys.domain.ports import Embedder  # noqa: E402
from vellarys.services import knowledge  # noqa: E402
from vellarys.services.demo import seed_demo  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "knowledge_questions.json"


async def scores(
    url: str, embedder: Embedder | None = None
) -> list[tuple[bool, float, bool, bool]]:
    """(answerable, best score, right document among the hits, answered) per question.

    ``answered`` is the brain's whole decision at the threshold in use: a trusted chunk that
    also shares a word with the question.
    """
    engine = create_engine(url, PoolConfig(pool_size=2, statement_timeout_ms=0))
    embedder = embedder or LocalE5Embedder()
    found: list[tuple[bool, float, bool, bool]] = []
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        tenant_id = (await seed_demo(session)).tenant.id
        documents = await session.execute(
            select(KnowledgeDocument.id).where(KnowledgeDocument.tenant_id == tenant_id)
        )
        for document_id in list(documents.scalars()):
            await knowledge.index_document(
                session, embedder, tenant_id=tenant_id, document_id=document_id
            )
        for item in json.loads(QUESTIONS.read_text(encoding="utf-8")):
            hits = await knowledge.search_knowledge(
                session, embedder, tenant_id=tenant_id, query=item["question"], k=3
            )
            best = max((h.score for h in hits), default=0.0)
            answer = answer_question(hits, item["question"])
            right = any(h.document == item["document"] for h in hits)
            if answer is not None:
                right = item["document"] in answer.documents
            found.append((item["document"] is not None, best, right, answer is not None))
    await engine.dispose()
    return found


def report(found: list[tuple[bool, float, bool, bool]]) -> None:
    answerable = [s for a, s, _, _ in found if a]
    other = [s for a, s, _, _ in found if not a]
    print(f"{len(answerable)} answerable, {len(other)} unanswerable questions")
    print(
        f"best score: answerable median {statistics.median(answerable):.3f} "
        f"min {min(answerable):.3f}; unanswerable median {statistics.median(other):.3f} "
        f"max {max(other):.3f}"
    )
    print("threshold  answered-right  refused-right  accuracy")
    for step in range(0, 31):
        threshold = 0.76 + step * 0.005
        answered = sum(a and s >= threshold and r for a, s, r, _ in found)
        refused = sum(not a and s < threshold for a, s, _, _ in found)
        mark = "  <- in use" if abs(threshold - KNOWLEDGE_MIN_SCORE) < 1e-9 else ""
        print(
            f"  {threshold:.3f}   {answered:3d}/{len(answerable)}        "
            f"{refused:3d}/{len(other)}       {(answered + refused) / len(found):.3f}{mark}"
        )
    answered = sum(a and r and ok for a, _, r, ok in found)
    refused = sum(not a and not ok for a, _, _, ok in found)
    print(
        f"the brain's decision (threshold {KNOWLEDGE_MIN_SCORE} + shared word): "
        f"{answered}/{len(answerable)} answered from the right document, "
        f"{refused}/{len(other)} unanswerable refused, "
        f"accuracy {(answered + refused) / len(found):.3f}"
    )


async def run(url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    report(await scores(url))


def main() -> None:
    with scratch_database() as url:
        asyncio.run(run(url))


if __name__ == "__main__":
    main()
