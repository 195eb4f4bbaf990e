"""The demo's passage vectors ship with it (vellarys/services/demo_vectors.py): the file holds
exactly the demo's texts, and its vectors are the local model's own."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.embeddings import LocalE5Embedder
from vellarys.db.models import KnowledgeChunk, KnowledgeDocument, Property
from vellarys.domain.chunking import embedding_text
from vellarys.domain.ports import Vector
from vellarys.services import demo_vectors
from vellarys.services.demo import seed_demo
from vellarys.services.property_search import property_passage

REFRESH = "demo data changed: refresh vellarys/demo/data/vectors.npz (see demo_vectors.py)"


class Recording:
    """The real model, remembering every passage it was asked to embed."""

    def __init__(self) -> None:
        self.inner = LocalE5Embedder()
        self.model_name = self.inner.model_name
        self.dimension = self.inner.dimension
        self.embedded: list[str] = []

    def query(self, text: str) -> Vector:
        return self.inner.query(text)

    def passages(self, texts: Sequence[str]) -> list[Vector]:
        self.embedded.extend(texts)
        return self.inner.passages(texts)


async def test_seeding_the_demo_takes_every_vector_from_the_file_and_they_are_the_models(
    session: AsyncSession,
) -> None:
    model = Recording()
    tenant = (await seed_demo(session, model)).tenant
    assert model.embedded == [], REFRESH

    shipped = demo_vectors.shipped(model.model_name)
    stored = await demo_vectors.stored(session, slug="demo", model=model.model_name)
    assert set(stored) == set(shipped), REFRESH  # every text stored, none left over in the file
    assert all(np.array_equal(stored[key], shipped[key]) for key in shipped)

    listing = (
        (await session.execute(select(Property).where(Property.tenant_id == tenant.id)))
        .scalars()
        .first()
    )
    title, chunk = (
        await session.execute(
            select(KnowledgeDocument.title, KnowledgeChunk.content)
            .join(KnowledgeChunk, KnowledgeChunk.document_id == KnowledgeDocument.id)
            .where(KnowledgeDocument.tenant_id == tenant.id)
            .order_by(KnowledgeChunk.content)
        )
    ).first()  # type: ignore[misc]
    assert listing is not None
    texts = [property_passage(listing), embedding_text(title, chunk)]
    computed = model.inner.passages(texts)
    for text, vector in zip(texts, computed, strict=True):
        assert np.array_equal(shipped[demo_vectors.text_key(text)], vector)


def test_only_texts_missing_from_the_table_reach_the_model() -> None:
    model = Recording()
    known = ["Apartamento com varanda em Pinheiros", "Casa térrea com quintal"]
    table = {demo_vectors.text_key(t): v for t, v in zip(known, model.passages(known), strict=True)}
    model.embedded.clear()
    passages = demo_vectors.KnownPassages(model, table)

    out = passages.passages([known[1], "Sala comercial no centro", known[0]])

    assert model.embedded == ["Sala comercial no centro"]
    assert np.array_equal(out[0], table[demo_vectors.text_key(known[1])])
    assert np.array_equal(out[1], model.inner.passages(["Sala comercial no centro"])[0])
    assert np.array_equal(out[2], table[demo_vectors.text_key(known[0])])
    assert demo_vectors.shipped("another-model") == {}
    assert demo_vectors.with_shipped(LocalE5Embedder()).model_name == model.model_name
