"""bench.webhook_path cannot rot: both of its modes run at a toy size (the timings mean
nothing here; the round-trip count does: the lean path makes one per webhook)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _bench(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench.webhook_path", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_webhook_path_bench_runs_in_process_and_open_loop_at_a_tiny_size() -> None:
    text = _bench(
        *("--webhooks", "4", "--leads", "2", "--open-loop", "--only", "lean"),
        *("--rates", "5", "--seconds", "1"),
    )
    lean = re.search(r"lean path\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+", text)
    full = re.search(r"full path \(.*?\)\s+([\d.]+)\s+([\d.]+)", text)
    assert lean and full, text
    assert (lean[1], lean[2]) == ("1.0", "1.0"), text
    assert float(full[1]) > 5, text
    assert re.search(r"lean\s+5\s+5\s+0\s+[\d.]+", text), text
    assert "lean: highest rate with p99 <= 250 ms:" in text, text
