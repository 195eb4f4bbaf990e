"""Embeddings from any OpenAI-compatible ``POST /embeddings`` endpoint (OpenAI, Azure, vLLM...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from vellarys.domain.ports import Vector
from vellarys.errors import EmbeddingError

BATCH_SIZE = 64
# Statuses worth retrying later; any other 4xx is a configuration problem.
_RETRYABLE = frozenset({408, 409, 425, 429})


class OpenAICompatibleEmbedder:
    """Calls ``{base_url}/embeddings`` and returns L2-normalized float32 vectors.

    ``query_prefix``/``passage_prefix`` serve models trained with prefixes (E5: "query: ",
    "passage: ") when the server does not add them itself.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        dimension: int,
        http: httpx.Client,
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        self.model_name = model
        self.dimension = dimension
        self._url = base_url.rstrip("/") + "/embeddings"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = http
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix

    def query(self, text: str) -> Vector:
        return self._embed([self._query_prefix + text])[0]

    def passages(self, texts: Sequence[str]) -> list[Vector]:
        vectors: list[Vector] = []
        for start in range(0, len(texts), BATCH_SIZE):
            batch = texts[start : start + BATCH_SIZE]
            vectors.extend(self._embed([self._passage_prefix + t for t in batch]))
        return vectors

    def _embed(self, inputs: list[str]) -> list[Vector]:
        body = self._post({"model": self.model_name, "input": inputs})
        try:
            items = sorted(body["data"], key=lambda item: int(item.get("index", 0)))
            vectors = [np.asarray(item["embedding"], dtype=np.float32) for item in items]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EmbeddingError(
                "O serviço de embeddings respondeu num formato inesperado"
            ) from exc
        if len(vectors) != len(inputs):
            raise EmbeddingError(
                f"O serviço de embeddings devolveu {len(vectors)} vetores para {len(inputs)} textos"
            )
        return [self._normalized(v) for v in vectors]

    def _post(self, payload: dict[str, Any]) -> Any:
        try:
            response = self._http.post(self._url, json=payload, headers=self._headers)
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"O serviço de embeddings não respondeu: {exc}") from exc
        if response.status_code >= 400:
            error = EmbeddingError(
                f"O serviço de embeddings recusou o pedido (HTTP {response.status_code})"
            )
            error.retryable = response.status_code >= 500 or response.status_code in _RETRYABLE
            raise error
        try:
            return response.json()
        except ValueError as exc:
            raise EmbeddingError("O serviço de embeddings não devolveu JSON") from exc

    def _normalized(self, vector: Vector) -> Vector:
        if vector.shape != (self.dimension,):
            raise EmbeddingError(
                f"O modelo {self.model_name} devolveu {vector.size} dimensões, "
                f"esperadas {self.dimension}"
            )
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            raise EmbeddingError("O serviço de embeddings devolveu um vetor nulo")
        return (vector / norm).astype(np.float32)
