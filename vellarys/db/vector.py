"""The embedding column type for asyncpg with pgvector's binary codec registered per connection."""

from __future__ import annotations

from typing import Any

import numpy as np
from pgvector import Vector
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.engine import Dialect


class Embedding(VECTOR):
    """A ``vector`` column that hands numpy arrays straight to the binary codec (no text)."""

    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, np.ndarray | Vector):
                return value
            return np.asarray(value, dtype=np.float32)

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        def process(value: Any) -> Any:
            if isinstance(value, Vector):
                return value.to_numpy()
            return value

        return process
