"""The labelled corpus, its stored E5 vectors, and the accuracy understanding reaches on it."""

from collections import Counter

from bench.intent_accuracy import evaluate
from vellarys.adapters.embeddings import act_corpus
from vellarys.adapters.embeddings.local_e5 import LocalE5Embedder
from vellarys.domain.understanding import ACT_KINDS


def test_the_corpus_covers_every_act_and_holds_out_a_quarter() -> None:
    rows = act_corpus.rows()
    labels = Counter(kind for row in rows for kind in row.kinds)
    heldout = [row for row in rows if row.split == "heldout"]
    assert len(rows) >= 600
    assert {kind: labels[kind] for kind in ACT_KINDS if labels[kind] < 15} == {}
    assert 0.2 <= len(heldout) / len(rows) <= 0.3
    assert any(len(row.kinds) > 1 for row in heldout)


def test_stored_vectors_belong_to_the_corpus_texts() -> None:
    stored = act_corpus.DIGEST
    digest = act_corpus.files("vellarys.domain").joinpath("data", stored).read_text().strip()
    assert digest == act_corpus.corpus_digest(), (
        "run: python -m bench.intent_accuracy --write-vectors"
    )
    assert len(act_corpus.vectors()) == len(act_corpus.rows())


def test_held_out_messages_are_understood() -> None:
    """Train examples only; the floor sits a little under what bench/intent_accuracy.py prints."""
    classifier = act_corpus.build_classifier(LocalE5Embedder(), splits=("train",))
    table, exact = evaluate(classifier)
    hits = sum(hit for hit, _, _ in table.values())
    labelled = sum(total for _, total, _ in table.values())
    guessed = sum(guess for _, _, guess in table.values())
    assert hits / labelled >= 0.88 and hits / guessed >= 0.85
    assert exact >= 0.8
