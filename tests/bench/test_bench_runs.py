"""Every benchmark that prints its own table runs at a toy size, so none of them can rot
(bench.webhook_path has its own, tests/bench/test_webhook_path_smoke.py).

Each runs as ``python -m bench.NAME`` in a subprocess, as a person would run it. The ones on a
database use the suite's PostgreSQL and clone the suite's migrated template
(``TEST_DATABASE_URL`` and ``BENCH_TEMPLATE_DATABASE`` for the bench, which creates and drops
its own scratch databases there); chaos stops PostgreSQL, so it starts its own. The figures
mean nothing at these sizes; what is checked is the accounting each bench prints.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import pytest
from sqlalchemy.engine import make_url

from bench.results import PRINTED

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def database(pg_server: str, template_url: str) -> dict[str, str]:
    """The environment that points a bench at the suite's server and migrated template."""
    template = make_url(template_url).database
    assert template
    return {"TEST_DATABASE_URL": pg_server, "BENCH_TEMPLATE_DATABASE": template}


def run_bench(
    module: str, *args: str, database: dict[str, str], check: bool = True
) -> tuple[int, str, str]:
    """The bench's exit status, output and errors (a non-zero status fails the test when
    ``check``). It runs in a session of its own: past the guard, its whole process group
    (API, workers) is killed with it, not left running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELLARYS_")}
    env.pop("TEST_DATABASE_URL", None)
    env |= database
    argv = [sys.executable, "-m", f"bench.{module}", *args]
    with subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE, text=True, start_new_session=True
    ) as bench:
        try:
            out, err = bench.communicate(timeout=900)  # a guard against a hung bench, not a goal
        except subprocess.TimeoutExpired:
            os.killpg(bench.pid, signal.SIGKILL)
            raise
    assert bench.returncode == 0 or not check, (out[-2000:], err[-4000:])
    return bench.returncode, out, err


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return float(found.group(1))


def test_the_scale_bench_answers_every_webhook_once_with_two_apis_and_two_workers(
    database: dict[str, str],
) -> None:
    _, out, _ = run_bench(
        "scale", "--layouts", "2x2", "--rate", "2", "--seconds", "2", database=database
    )
    row = next(line for line in out.splitlines() if line.startswith("| 2 API + 2 worker"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    acknowledged = int(cells[1].split("/")[0])
    assert acknowledged >= 1 and int(cells[3]) == acknowledged  # every acknowledged one answered
    assert cells[7] == "0 / 0"  # no duplicate send, no message answered twice
    assert cells[8] == "yes"  # the queue drained
    assert re.fullmatch(r"[\d.]+ / [\d.]+", cells[6])  # CPU per message of APIs and workers


def test_the_production_bench_answers_a_short_stream(database: dict[str, str]) -> None:
    production = PRINTED["production"]  # as ``make bench --tiny`` runs it
    _, out, _ = run_bench("production", *production.tiny, database=database)
    assert "1 new leads/s for 2 s, 2 stored" in out
    first = re.search(r"first reply part sent after: p50 [\d.]+ s, p95 ([\d.]+) s.*\(n=2\)", out)
    assert first, out
    assert number(r"worker CPU (\d+) ms per message", out) >= 0
    # Its row for RESULTS.md is read from what it printed; the debounce is the floor.
    (row,) = production.read(out, production.tiny)
    assert row.ours == float(first[1]) and row.baseline == 3.0, row


def test_the_chaos_bench_loses_nothing_when_the_worker_is_killed_in_a_tiny_run() -> None:
    args = ["--messages", "6", "--seconds", "3", "--pause", "1", "--faults", "worker"]
    # chaos stops PostgreSQL: it runs its own embedded one.
    _, out, err = run_bench("chaos", *args, database={}, check=False)
    # The exit status also says whether recovery took under 60 s: a timing this test leaves
    # to the chaos suite. The accounting must hold whatever the machine's load.
    assert "recovery: worker SIGKILLed" in out, (out[-2000:], err[-4000:])
    assert re.search(r"chaos: lost 0, duplicates 0 \(\+\d+ in the unavoidable window\), "
                     r"out of order 0", out), out  # fmt: skip
    assert number(r"webhooks acknowledged 200\s+(\d+)", out) >= 4
    assert number(r"jobs stuck at the end\s+(\d+)", out) == 0


def test_the_media_bench_transcribes_a_voice_note_and_reads_a_picture() -> None:
    _, out, _ = run_bench("media", "--runs", "1", database={})
    assert re.search(r"transcription run 0: clip [\d.]+ s -> [\d.]+ s", out), out
    ocr = next(line for line in out.splitlines() if line.startswith("ocr run 0:"))
    assert "AP1102" in ocr
