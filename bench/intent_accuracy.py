"""Understanding accuracy per act on the held-out part of the labelled corpus.

    .venv/bin/python -m bench.intent_accuracy                  # about 1 minute
    .venv/bin/python -m bench.intent_accuracy --write-vectors  # after editing acts.tsv

The corpus is ``vellarys/domain/data/acts.tsv`` (team-written WhatsApp messages, a quarter of
each label held out). The classifier's examples are the *train* rows only; every held-out
message goes through ``understand`` and its set of act kinds is compared with the labels:
recall per label (of the messages carrying it, how many were recognised), precision per label,
and the share of messages whose whole set of acts is right. Two rows per label: rules alone,
and rules plus the nearest labelled examples (local E5).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from importlib.resources import files

import numpy as np

from vellarys.adapters.embeddings import act_corpus
from vellarys.adapters.embeddings.local_e5 import LocalE5Embedder
from vellarys.domain.act_examples import NearestExamples
from vellarys.domain.understanding import ACT_KINDS, UnderstandingContext, kinds, understand

CONTEXT = UnderstandingContext(
    shown_codes=("AP1501", "CA2002", "AP2210"),
    last_shown_batch=("AP1501", "CA2002", "AP2210"),
    staff_names=("Juliana Ferraz", "Ricardo Lima", "Marcos Toledo", "Renata Albuquerque"),
    served_cities=("São Paulo", "Osasco", "Santo André", "São Bernardo do Campo"),
    known_neighborhoods=("Pinheiros", "Mooca", "Vila Mariana", "Moema", "Tatuapé", "Santana"),
)


def write_vectors() -> None:
    embedder = LocalE5Embedder()
    texts = [row.text for row in act_corpus.rows()]
    matrix = np.stack([embedder.query(text) for text in texts]).astype(np.float16)
    target = files("vellarys.domain").joinpath("data", act_corpus.VECTORS)
    with target.open("wb") as handle:  # type: ignore[attr-defined]
        np.save(handle, matrix)
    digest = files("vellarys.domain").joinpath("data", act_corpus.DIGEST)
    digest.write_text(act_corpus.corpus_digest() + "\n")  # type: ignore[attr-defined]
    print(f"wrote {len(texts)} vectors")


def evaluate(
    classifier: NearestExamples | None, *, show_errors: bool = False
) -> tuple[dict[str, tuple[int, int, int]], float]:
    """Per label (true positives, labelled, predicted) on held-out rows, and exact-set accuracy."""
    tp: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    exact = 0
    heldout = [row for row in act_corpus.rows() if row.split == "heldout"]
    for row in heldout:
        found = set(kinds(understand(row.text, CONTEXT, classifier=classifier)))
        wanted = set(row.kinds)
        exact += found == wanted
        if show_errors and found != wanted:
            print(f"  {','.join(row.kinds)} -> {','.join(sorted(found))}: {row.text}")
        for kind in wanted:
            gold[kind] += 1
            tp[kind] += kind in found
        for kind in found:
            predicted[kind] += 1
    table = {kind: (tp[kind], gold[kind], predicted[kind]) for kind in ACT_KINDS}
    return table, exact / len(heldout)


def _ratio(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   - "


def report(results: Sequence[tuple[str, dict[str, tuple[int, int, int]], float]]) -> None:
    names = " | ".join(f"{name} recall | {name} precision" for name, _, _ in results)
    print(f"| act | held-out | {names} |")
    print("|---|---:|" + "---:|---:|" * len(results))
    for kind in ACT_KINDS:
        cells = []
        for _, table, _ in results:
            hit, labelled, guessed = table[kind]
            cells += [_ratio(hit, labelled), _ratio(hit, guessed)]
        print(f"| {kind} | {results[0][1][kind][1]} | " + " | ".join(cells) + " |")
    totals = []
    for _, table, exact in results:
        hit = sum(v[0] for v in table.values())
        labelled = sum(v[1] for v in table.values())
        guessed = sum(v[2] for v in table.values())
        totals += [f"{_ratio(hit, labelled)} (exact set {100 * exact:.1f}%)", _ratio(hit, guessed)]
    print("| all (micro) | | " + " | ".join(totals) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-vectors", action="store_true")
    parser.add_argument("--errors", action="store_true", help="print the wrong held-out rows")
    args = parser.parse_args()
    if args.write_vectors:
        write_vectors()
        return
    rows = act_corpus.rows()
    print(f"corpus: {len(rows)} messages, {sum(r.split == 'heldout' for r in rows)} held out")
    trained = act_corpus.build_classifier(LocalE5Embedder(), splits=("train",))
    rules = evaluate(None)
    report([("rules", *rules), ("rules+E5", *evaluate(trained, show_errors=args.errors))])


if __name__ == "__main__":
    main()
