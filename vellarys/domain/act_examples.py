"""Nearest labelled examples: a clause gets the kind whose examples it is closest to.

Pure arithmetic on vectors the caller provides: ``embed`` turns a clause into a vector (the
local E5 ``query`` in production), and the examples' vectors are computed once by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]

# Measured on the held-out corpus (bench/intent_accuracy.py): the kind whose labelled examples'
# centre is nearest is right 78 % of the time (a 5-nearest-neighbour vote: 60 %, since E5's
# similarities between short messages are all high); a lead over the runner-up under this
# margin is a guess no better than the rules' default.
MIN_MARGIN = 0.004


@dataclass(frozen=True, slots=True)
class LabelledExample:
    text: str
    kind: str


class NearestExamples:
    """Each kind is the centre of its labelled examples' vectors; a clause gets the nearest kind.

    ``classify`` returns the kind and its lead over the runner-up, or None under ``min_margin``.
    """

    def __init__(
        self,
        embed: Callable[[str], Sequence[float] | npt.NDArray[np.float32]],
        examples: Sequence[LabelledExample],
        vectors: Matrix,
        *,
        min_margin: float = MIN_MARGIN,
    ) -> None:
        if len(examples) != len(vectors):
            raise ValueError("one vector per example")
        self._embed = embed
        normalised = _normalised(np.asarray(vectors, dtype=np.float32))
        self._kinds = sorted({example.kind for example in examples})
        rows = [[i for i, e in enumerate(examples) if e.kind == kind] for kind in self._kinds]
        centres = [normalised[indexes].mean(axis=0) for indexes in rows]
        self._centres = _normalised(np.stack(centres)) if centres else normalised[:0]
        self._min_margin = min_margin

    @property
    def kinds(self) -> list[str]:
        return list(self._kinds)

    def scores(self, text: str) -> dict[str, float]:
        """Cosine similarity of ``text`` to each kind's centre."""
        query = _normalised(np.asarray(self._embed(text), dtype=np.float32).reshape(1, -1))[0]
        return dict(zip(self._kinds, (float(s) for s in self._centres @ query), strict=True))

    def classify(self, text: str) -> tuple[str, float] | None:
        """The nearest kind and its margin over the runner-up, or None when it is too close."""
        if len(self._kinds) < 2:
            return None
        ranked = sorted(self.scores(text).items(), key=lambda item: -item[1])
        margin = ranked[0][1] - ranked[1][1]
        return (ranked[0][0], margin) if margin >= self._min_margin else None


def _normalised(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Matrix = (matrix / norms).astype(np.float32)
    return result
