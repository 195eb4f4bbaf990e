"""`make bench` cannot rot: every benchmark in bench/results.py runs at a toy size and
RESULTS.md gets a measured row for each figure (the numbers themselves mean nothing here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.results import KEPT, Figure, render

ROOT = Path(__file__).resolve().parent.parent.parent


def test_render_gives_ratio_and_verdict() -> None:
    figures = [
        Figure("ack p99", 40.0, 160.0, "ms", "< 50 ms", True),
        Figure("throughput", 80.0, 20.0, "msg/s", "≥ 100 msg/s", False),
        Figure("cpu", None, 3.0, "ms"),
    ]
    text = render(figures, commit="abc123", cores=2, load=("1.0 1.0 1.0", "2.0 2.0 2.0"))
    assert "`abc123`" in text and "2 cores" in text and "after: 2.0 2.0 2.0" in text
    assert "| ack p99 (ms) | 40.0 | 160.0 | 0.25 | < 50 ms | PASS |" in text
    assert "| throughput (msg/s) | 80.0 | 20.0 | 4.00 | ≥ 100 msg/s | MISS |" in text
    assert "| cpu (ms) | — | 3.0 | — | — | — |" in text
    assert "not a quiet run" not in text
    loaded = render(figures, commit="abc123", cores=2, load=("0.5 0.4 0.3", "8.28 8.2 7.8"))
    assert "**not a quiet run**: a 1-minute load of 8.28 on 2 cores" in loaded
    assert "not a quiet run" not in render(figures, commit="x", cores=2, load=("?", "?"))


@pytest.mark.timeout(900)  # as the subprocess's guard: the suite's 300 s was hit at load 13
def test_every_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    pasted = f"{KEPT}\n\n## Chaos (pasted by hand)\n\n| run | lost |\n|---|---|\n| x | 0 |\n"
    out.write_text("# Benchmark results\n\nan old table\n\n" + pasted, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench.results", "--tiny", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hung bench, not a goal (280 s was hit at load 20)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # The pipeline bench's own report comes first: every acknowledged webhook was stored.
    check = re.search(
        r"^check: API burst: (\d+) acknowledged, (\d+) stored, (\d+) handle_inbound jobs$",
        done.stdout,
        re.M,
    )
    assert check and 1 <= int(check[1]) <= int(check[2]) and int(check[3]) >= 1, done.stdout
    assert re.search(r"^  messages acknowledged +\d+ +\d+$", done.stdout, re.M), done.stdout
    text = out.read_text(encoding="utf-8")
    assert text.endswith(pasted) and "an old table" not in text  # the hand-measured part stays
    assert re.search(r"commit: `[0-9a-f]{7,}", text) and "cores" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    figures = {row.split(" | ")[0].lstrip("| "): row.split(" | ")[1] for row in rows[1:]}
    for name in ("burst ack p99 (ms)", "burst throughput (msg/s)", "profile fields read right (%)"):
        assert re.fullmatch(r"[\d,]+\.\d", figures[name]), (
            name,
            figures[name],
            done.stderr[-2000:],
        )
