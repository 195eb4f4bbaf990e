"""The real local E5 embedder, memoized per process so the suite embeds each text only once."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from vellarys.adapters.embeddings import LocalE5Embedder
from vellarys.domain.ports import Vector


class MemoizedEmbedder:
    """Same model name and vectors as ``LocalE5Embedder``; repeated texts come from memory."""

    def __init__(self, inner: LocalE5Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self._queries: dict[str, Vector] = {}
        self._passages: dict[str, Vector] = {}
        self.passage_calls = 0

    def query(self, text: str) -> Vector:
        if text not in self._queries:
            self._queries[text] = self.inner.query(text)
        return self._queries[text].copy()

    def passages(self, texts: Sequence[str]) -> list[Vector]:
        self.passage_calls += 1
        missing = [t for t in dict.fromkeys(texts) if t not in self._passages]
        for text, vec in zip(missing, self.inner.passages(missing), strict=True):
            self._passages[text] = vec
        return [np.array(self._passages[t]) for t in texts]


@cache
def shared_embedder() -> MemoizedEmbedder:
    return MemoizedEmbedder(LocalE5Embedder())
