"""Nearest labelled examples: a clause gets the kind of the examples it is closest to.

Pure arithmetic on vectors the caller provides: ``embed`` turns a clause into a vector (the
local E5 ``query`` in production), and the examples' vectors are computed once by the caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]

# Measured on the held-out corpus (bench/intent_accuracy.py): below this cosine similarity the
# nearest example is usually of another kind, and no guess is better than a wrong one.
MIN_SIMILARITY = 0.86
NEIGHBOURS = 5


@dataclass(frozen=True, slots=True)
class LabelledExample:
    text: str
    kind: str


class NearestExamples:
    """A k-nearest-neighbour vote over labelled examples, weighted by cosine similarity."""

    def __init__(
        self,
        embed: Callable[[str], Sequence[float] | npt.NDArray[np.float32]],
        examples: Sequence[LabelledExample],
        vectors: Matrix,
        *,
        min_similarity: float = MIN_SIMILARITY,
        neighbours: int = NEIGHBOURS,
    ) -> None:
        if len(examples) != len(vectors):
            raise ValueError("one vector per example")
        self._embed = embed
        self._kinds = [example.kind for example in examples]
        self._matrix = _normalised(np.asarray(vectors, dtype=np.float32))
        self._min_similarity = min_similarity
        self._neighbours = neighbours

    def classify(self, text: str) -> tuple[str, float] | None:
        """The winning kind and its best similarity, or None when nothing is close enough."""
        if not self._kinds:
            return None
        query = _normalised(np.asarray(self._embed(text), dtype=np.float32).reshape(1, -1))[0]
        similarities = self._matrix @ query
        nearest = np.argsort(-similarities)[: self._neighbours]
        if float(similarities[nearest[0]]) < self._min_similarity:
            return None
        votes: dict[str, float] = defaultdict(float)
        best: dict[str, float] = {}
        for index in nearest:
            kind, similarity = self._kinds[index], float(similarities[index])
            votes[kind] += similarity
            best[kind] = max(best.get(kind, 0.0), similarity)
        winner = max(votes, key=lambda kind: votes[kind])
        return winner, best[winner]


def _normalised(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Matrix = (matrix / norms).astype(np.float32)
    return result
