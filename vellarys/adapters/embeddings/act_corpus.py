"""The labelled corpus of lead messages and its E5 vectors, shipped inside the package.

``vellarys/domain/data/acts.tsv`` holds the messages (split, acts in order, text);
``acts_e5.npy`` their local-E5 query vectors in the same order, as float16 (``acts_e5.digest``
names the texts they were computed from), computed once by
``python -m bench.intent_accuracy --write-vectors`` so that no process embeds 600 messages at
start. ``classifier`` builds the nearest-examples classifier the understanding layer uses.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from vellarys.adapters.embeddings.local_e5 import LocalE5Embedder
from vellarys.domain.act_examples import LabelledExample, Matrix, NearestExamples
from vellarys.domain.ports import Embedder

CORPUS = "acts.tsv"
VECTORS = "acts_e5.npy"
DIGEST = "acts_e5.digest"  # corpus_digest() of the texts the vectors were computed from


@dataclass(frozen=True, slots=True)
class CorpusRow:
    split: str  # train | heldout
    kinds: tuple[str, ...]
    text: str


def rows() -> list[CorpusRow]:
    """Every labelled message, in file order."""
    found = []
    for line in _data_text(CORPUS).splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        split, kinds, text = line.split("\t", 2)
        found.append(CorpusRow(split, tuple(kinds.split(",")), text))
    return found


def corpus_digest() -> str:
    """A digest of the texts, stored beside the vectors to notice a corpus edited without them."""
    joined = "\n".join(row.text for row in rows())
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def stored_digest() -> str:
    """The corpus digest the stored vectors were computed from."""
    return _data_text(DIGEST).strip()


def vectors() -> Matrix:
    """The stored vectors, one row per corpus row."""
    path = files("vellarys.domain").joinpath("data", VECTORS)
    with path.open("rb") as handle:
        stored = np.load(handle)
    matrix: Matrix = stored.astype(np.float32)
    return matrix


def build_classifier(
    embed_query: Embedder, *, splits: tuple[str, ...] = ("train", "heldout")
) -> NearestExamples:
    """Nearest examples over the single-act messages of ``splits``."""
    chosen = [
        (i, row) for i, row in enumerate(rows()) if row.split in splits and len(row.kinds) == 1
    ]
    matrix = vectors()
    examples = [LabelledExample(row.text, row.kinds[0]) for _, row in chosen]
    return NearestExamples(embed_query.query, examples, matrix[[i for i, _ in chosen]])


_lock = threading.Lock()
_shared: dict[str, NearestExamples] = {}


def classifier(embedder: Embedder | None = None) -> NearestExamples:
    """The process's classifier, built once; it always embeds with the local E5 model.

    The stored vectors are E5's, so a deployment whose search embedder is another model still
    classifies with E5 (``embedder`` is reused only when it is the local E5, cached or not:
    then a message's clauses and its searches share one query cache).
    """
    with _lock:
        if "all" not in _shared:
            local = embedder if embedder is not None and _is_local_e5(embedder) else None
            local = local or LocalE5Embedder()
            _shared["all"] = build_classifier(local)
        return _shared["all"]


def _is_local_e5(embedder: Embedder) -> bool:
    """Whether ``embedder`` is the local E5, behind any wrappers (``inner``)."""
    found: object = embedder
    while not isinstance(found, LocalE5Embedder) and hasattr(found, "inner"):
        found = found.inner
    return isinstance(found, LocalE5Embedder)


def _data_text(name: str) -> str:
    return files("vellarys.domain").joinpath("data", name).read_text(encoding="utf-8")
