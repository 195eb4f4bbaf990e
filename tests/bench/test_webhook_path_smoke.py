"""bench.webhook_path cannot rot: both of its modes run at a toy size (the timings mean
nothing here; the round-trip count does: the lean path makes one per webhook)."""

from __future__ import annotations

import os
import re

from bench.results import PRINTED


def test_the_webhook_path_bench_runs_in_process_and_open_loop_at_a_tiny_size() -> None:
    # As ``make bench --tiny`` runs it, and its rows for RESULTS.md are read from what it printed.
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    text, figures = PRINTED["webhook_path"].run(tiny=True, env=env, timeout=280)
    lean = re.search(r"lean path\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+", text)
    full = re.search(r"full path \(.*?\)\s+([\d.]+)\s+([\d.]+)", text)
    assert lean and full, text
    assert (lean[1], lean[2]) == ("1.0", "1.0"), text
    assert float(full[1]) > 5, text
    assert re.search(r"lean\s+5\s+5\s+0\s+[\d.]+", text), text
    assert "lean: highest rate with p99 <= 250 ms:" in text, text
    cpu, p99, best = figures
    assert cpu.name.startswith("API CPU per webhook at 5 msg/s") and cpu.ours is not None
    assert p99.ours is not None and p99.baseline is None  # the full path is not run here
    assert best.ours == 5.0 or (best.ours is None and "none of the rates" in text), text
