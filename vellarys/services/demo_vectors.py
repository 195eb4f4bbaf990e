"""The demo agency's passage vectors, shipped with it for the local E5 model.

Embedding the demo (61 listings and 63 knowledge chunks, about 20,000 tokens) is a minute of
one core with the CPU model, measured at ~3 ms per token: every ``seed-demo``, every ``vellarys
up`` worker and every test database paid it. The vectors are the model's own output for fixed
texts, so they ship in ``vellarys/demo/data/vectors.npz`` keyed by the SHA-256 of the text;
a text not in the file (the demo data changed) is embedded by the model as before.

Refresh the file after changing the demo data (the test of this module says when):
``vellarys seed-demo`` on a scratch database, then
``python -m vellarys.services.demo_vectors "$(vellarys db-url)"``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.embeddings import LocalE5Embedder
from vellarys.db.engine import PoolConfig, create_engine
from vellarys.db.queries import embedding
from vellarys.domain.chunking import embedding_text
from vellarys.domain.ports import Embedder, Vector

FILE_NAME = "vectors.npz"
MODEL = LocalE5Embedder.model_name


def text_key(text: str) -> str:
    """The table's key for a passage (also what listings store as their ``content_hash``)."""
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def shipped(model_name: str) -> Mapping[str, Vector]:
    """The shipped vectors by text key; empty for any other model than the one they came from."""
    if model_name != MODEL:
        return {}
    source = files("vellarys.demo").joinpath("data", FILE_NAME)
    if not source.is_file():
        return {}
    with np.load(io.BytesIO(source.read_bytes()), allow_pickle=False) as table:
        if str(table["model"]) != model_name:
            return {}
        keys, vectors = table["keys"], table["vectors"].astype(np.float32)
    return {str(key): vectors[i] for i, key in enumerate(keys)}


class KnownPassages:
    """``inner`` with a table of passages already embedded: only unknown texts reach the model.

    Queries always go to ``inner`` (a lead's words are never in the table)."""

    def __init__(self, inner: Embedder, table: Mapping[str, Vector]) -> None:
        self.inner = inner
        self.table = table
        self.model_name = inner.model_name
        self.dimension = inner.dimension

    def query(self, text: str) -> Vector:
        return self.inner.query(text)

    def passages(self, texts: Sequence[str]) -> list[Vector]:
        found = [self.table.get(text_key(t)) for t in texts]
        missing = [i for i, v in enumerate(found) if v is None]
        computed = self.inner.passages([texts[i] for i in missing]) if missing else []
        for i, vector in zip(missing, computed, strict=True):
            found[i] = vector
        return [np.array(v, dtype=np.float32) for v in found if v is not None]


def with_shipped(embedder: Embedder) -> Embedder:
    """``embedder`` answering the demo's passages from the shipped file when the model matches."""
    table = shipped(embedder.model_name)
    return KnownPassages(embedder, table) if table else embedder


async def stored(session: AsyncSession, *, slug: str, model: str) -> dict[str, Vector]:
    """The agency's stored passage vectors of ``model``, by text key (listings and knowledge)."""
    listings = await embedding.listing_vectors(session, slug=slug, model=model)
    vectors = {key: np.asarray(v, dtype=np.float32) for key, v in listings if key is not None}
    for title, content, vector in await embedding.chunk_vectors(session, slug=slug, model=model):
        vectors[text_key(embedding_text(title, content))] = np.asarray(vector, dtype=np.float32)
    return vectors


def write(path: Path, vectors: Mapping[str, Vector], *, model: str = MODEL) -> None:
    keys = sorted(vectors)
    np.savez(
        path,
        model=np.array(model),
        keys=np.array(keys),
        vectors=np.stack([np.asarray(vectors[k], dtype=np.float32) for k in keys]),
    )


async def _export(url: str, path: Path) -> int:
    engine = create_engine(url, PoolConfig(pool_size=1, max_overflow=0))
    try:
        async with AsyncSession(engine) as session:
            vectors = await stored(session, slug="demo", model=MODEL)
    finally:
        await engine.dispose()
    write(path, vectors)
    return len(vectors)


if __name__ == "__main__":  # pragma: no cover - the maintainer's refresh, see the docstring
    out = Path(__file__).parents[1] / "demo" / "data" / FILE_NAME
    count = asyncio.run(_export(sys.argv[1], out))
    print(f"{count} vectors written to {out}")
