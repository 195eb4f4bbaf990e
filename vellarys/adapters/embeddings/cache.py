"""A bounded memory of embeddings, in front of any embedder.

One lead message is embedded by several steps (the act classifier, the knowledge answers, the
knowledge search, the listing search), and leads write the same short texts again and again
("oi", "quanto fica a parcela?"): each distinct text is embedded once and its vector reused
until it falls out of the least-recently-used window. The knowledge sentences the answer step
compares with the question are cached the same way, as passages.

Texts that differ only in spacing are one entry: the E5 tokenizer ignores leading whitespace
and reads any run of spaces, tabs or newlines inside a text as one space (checked vector for
vector), so the key collapses exactly those. Trailing whitespace changes E5's vector: it is
kept in the key as written.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from vellarys.domain.ports import Embedder, Vector

QUERIES = 1024
PASSAGES = 4096
_RUN = re.compile(r"\s+")


def cache_key(text: str) -> str:
    """``text`` as the model reads it: leading whitespace dropped, inner runs as one space."""
    stripped = text.lstrip()
    body = stripped.rstrip()
    return _RUN.sub(" ", body) + stripped[len(body) :]


class _Recent:
    """A thread-safe LRU map of text -> vector."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Vector] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Vector | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, vector: Vector) -> None:
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class CachedEmbedder:
    """``inner`` behind two bounded LRU caches (queries, passages); same model, same vectors."""

    def __init__(self, inner: Embedder, *, queries: int = QUERIES, passages: int = PASSAGES):
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self._queries = _Recent(queries)
        self._passages = _Recent(passages)
        self.computed = 0  # texts the inner model embedded (queries and passages)

    def query(self, text: str) -> Vector:
        key = cache_key(text)
        found = self._queries.get(key)
        if found is None:
            found = np.asarray(self.inner.query(text), dtype=np.float32)
            self.computed += 1
            self._queries.put(key, found)
        return found.copy()

    def passages(self, texts: Sequence[str]) -> list[Vector]:
        keys = [cache_key(t) for t in texts]
        found = [self._passages.get(k) for k in keys]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            computed = self.inner.passages([texts[i] for i in missing])
            self.computed += len(missing)
            for i, vector in zip(missing, computed, strict=True):
                found[i] = np.asarray(vector, dtype=np.float32)
                self._passages.put(keys[i], found[i])  # type: ignore[arg-type]
        return [v.copy() for v in found if v is not None]


def uncached(embedder: Embedder) -> Embedder:
    """The model behind any cache (for checks on which model it is)."""
    return embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
