"""bench/brain.py cannot rot: it runs at a toy size and prints its per-message figures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.timeout(600)  # E5 indexes the demo knowledge base: minutes on a busy machine
def test_the_brain_bench_runs_at_a_tiny_size() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench.brain", "--tiny", "--no-naive"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    summary = re.search(r"^SUMMARY statements/msg ([\d.]+); CPU ms/msg mean ([\d.]+)", out, re.M)
    assert summary and float(summary.group(1)) > 0, out[-3000:]
    # Each kind of message is listed with its statements, and the texts are not repeated ones.
    for kind in ("greeting", "qualification", "knowledge", "listing_code", "financing"):
        assert re.search(rf"^  {kind}: '.+' \(\d+ statements\)$", out, re.M), (kind, out[-3000:])
    assert "distinct texts: 5 of 5 messages" in out
