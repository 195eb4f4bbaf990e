"""The real local E5 embedder, memoized: the suite embeds each text once per run.

Vectors are kept in memory and, under pytest-xdist, in a folder the run's workers share, so a
text one worker embedded (the demo agency's listings and documents, built into a template once)
is read back by the others instead of being embedded again. The demo agency's passages come
from the vectors shipped with it (``vellarys.services.demo_vectors``, checked against the model
in tests/services/test_demo_vectors.py). The vectors are the model's own: only the repeated
work is saved."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from vellarys.adapters.embeddings import LocalE5Embedder
from vellarys.domain.ports import Vector
from vellarys.services import demo_vectors

RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")


class MemoizedEmbedder:
    """Same model name and vectors as ``LocalE5Embedder``; repeated texts come from memory."""

    def __init__(self, inner: LocalE5Embedder, folder: Path | None = None) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self.folder = folder
        self._memo: dict[tuple[str, str], Vector] = {}
        self.passage_calls = 0

    def query(self, text: str) -> Vector:
        if self._recall("query", text) is None:
            self._keep("query", text, self.inner.query(text))
        return self._memo["query", text].copy()

    def passages(self, texts: Sequence[str]) -> list[Vector]:
        self.passage_calls += 1
        missing = [t for t in dict.fromkeys(texts) if self._recall("passage", t) is None]
        for text, vector in zip(missing, self.inner.passages(missing), strict=True):
            self._keep("passage", text, vector)
        return [self._memo["passage", t].copy() for t in texts]

    def _file(self, kind: str, text: str) -> Path | None:
        if self.folder is None:
            return None
        digest = hashlib.sha256(f"{self.model_name}\n{kind}\n{text}".encode()).hexdigest()
        return self.folder / f"{digest}.npy"

    def _recall(self, kind: str, text: str) -> Vector | None:
        found = self._memo.get((kind, text))
        if found is None and kind == "passage":
            shipped = demo_vectors.shipped(self.model_name).get(demo_vectors.text_key(text))
            if shipped is not None:
                found = self._memo[kind, text] = shipped
        path = self._file(kind, text)
        if found is None and path is not None and path.exists():
            found = self._memo[kind, text] = np.load(path)
        return found

    def _keep(self, kind: str, text: str, vector: Vector) -> None:
        self._memo[kind, text] = np.asarray(vector, dtype=np.float32)
        path = self._file(kind, text)
        if path is not None:  # written whole under another name, then renamed: never half-read
            partial = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.part")
            with partial.open("wb") as out:
                np.save(out, self._memo[kind, text])
            partial.replace(path)


def run_folder() -> Path | None:
    """The run's shared folder of vectors under xdist; None (memory only) in a plain run."""
    if not RUN_ID:
        return None
    folder = Path(tempfile.gettempdir()) / f"vellarys-test-locks-{RUN_ID}" / "embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@cache
def shared_embedder() -> MemoizedEmbedder:
    return MemoizedEmbedder(LocalE5Embedder(), run_folder())
