"""bench/brain.py cannot rot: it runs at a toy size and prints its per-message figures."""

from __future__ import annotations

import os
import re

import pytest

from bench.results import PRINTED


@pytest.mark.timeout(600)  # E5 indexes the demo knowledge base: minutes on a busy machine
def test_the_brain_bench_runs_at_a_tiny_size() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    # As ``make bench --tiny`` runs it; its rows for RESULTS.md are read from its output.
    out, figures = PRINTED["brain"].run(tiny=True, env=env, timeout=600)
    summary = re.search(r"^SUMMARY statements/msg ([\d.]+); CPU ms/msg mean ([\d.]+)", out, re.M)
    assert summary and float(summary.group(1)) > 0, out[-3000:]
    # Each kind of message is listed with its statements, and the texts are not repeated ones.
    for kind in ("greeting", "qualification", "knowledge", "listing_code", "financing"):
        assert re.search(rf"^  {kind}: '.+' \(\d+ statements\)$", out, re.M), (kind, out[-3000:])
    assert "distinct texts: 5 of 5 messages" in out
    # Its rows for RESULTS.md are read from what it printed (the naive baseline is not run).
    statements, p95 = figures
    assert statements.ours == float(summary.group(1)) and "scale 0.002: " in statements.name
    assert p95.ours is not None and p95.ours > 0 and p95.baseline is None
