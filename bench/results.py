"""`make bench`: run the benchmarks and write bench/RESULTS.md.

Each row: figure, ours, baseline, ratio (ours ÷ baseline), goal, PASS/MISS; the header names
the commit, the core count and the load average before and after, since the machine is shared.
``--tiny`` runs every benchmark at a toy size (the smoke test uses it; its figures mean nothing).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import brain, pipeline, production, profile_accuracy, webhook_path
from vellarys.config import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
GOAL_PROFILE_ACCURACY = 90.0  # % of profile fields read right on the held-out set
GOAL_BRAIN_STATEMENTS = 8.0  # SQL statements per brain message, mean (issue 15, item 5)


@dataclass(frozen=True)
class Figure:
    """One measured figure. ``passed`` is None when the figure has no goal."""

    name: str
    ours: float | None
    baseline: float | None
    unit: str
    goal: str = ""
    passed: bool | None = None

    @property
    def ratio(self) -> str:
        if self.ours is None or not self.baseline:
            return "—"
        return f"{self.ours / self.baseline:.2f}"

    @property
    def verdict(self) -> str:
        return "—" if self.passed is None else ("PASS" if self.passed else "MISS")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def render(figures: Sequence[Figure], *, commit: str, cores: int, load: tuple[str, str]) -> str:
    """RESULTS.md: a header with where it was measured, then one table row per figure."""
    lines = [
        "# Benchmark results",
        "",
        f"- commit: `{commit}`",
        f"- measured: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cores} cores",
        f"- load average (1/5/15 min) before: {load[0]}, after: {load[1]}",
        *_loaded(load, cores),
        "",
        "| figure | ours | baseline | ratio | goal | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for f in figures:
        ours, base = _num(f.ours), _num(f.baseline)
        row = f"| {f.name} ({f.unit}) | {ours} | {base} | {f.ratio} | {f.goal or '—'} |"
        lines.append(f"{row} {f.verdict} |")
    return "\n".join(lines) + "\n"


def _loaded(load: tuple[str, str], cores: int) -> list[str]:
    """A warning line when other work held more runnable processes than there are cores: the
    figures were then taken on a loaded machine, not a quiet one."""
    ones = [a.split()[0] for a in load if a.split() and a.split()[0].replace(".", "", 1).isdigit()]
    peak = max(map(float, ones), default=0.0)
    if peak <= cores:
        return []
    return [
        f"- **not a quiet run**: a 1-minute load of {peak:g} on {cores} cores (other work "
        "shared the machine); timings are worse than on a quiet machine, re-run to compare"
    ]


# What follows this line in RESULTS.md (the benches that only print, pasted with their
# command and load) survives the rewrite of the table above it.
KEPT = "<!-- kept by make bench: the benches that print their own tables -->"


def kept(path: Path) -> str:
    """The part of an existing RESULTS.md from ``KEPT`` on, or nothing."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return "\n" + text[text.index(KEPT) :] if KEPT in text else ""


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True)
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def pipeline_figures(tiny: bool) -> list[Figure]:
    sizes = ["--messages", "20", "--concurrency", "4", "--leads", "5", "--max-seconds", "10"]
    sizes += ["--rate", "2", "--seconds", "2"]
    args = pipeline_args(sizes if tiny else [])
    with tempfile.TemporaryDirectory(prefix="vellarys-bench-") as tmp:
        res, facts = pipeline.measure(args, Path(tmp))
    print(pipeline.report(args, res, facts), end="\n\n", flush=True)  # the bench's own table
    ob, bb = res.ours_burst, res.base_burst
    p99 = pipeline.pct(ob.latencies, 99)
    p99_base = pipeline.pct(bb.latencies, 99)
    ms = lambda v: None if v is None else v * 1000  # noqa: E731
    return [
        Figure(
            "burst ack p99",
            ms(p99),
            ms(p99_base),
            "ms",
            f"< {pipeline.GOAL_ACK_P99_MS:g} ms",
            None if p99 is None else p99 * 1000 < pipeline.GOAL_ACK_P99_MS,
        ),
        Figure(
            "burst throughput",
            ob.throughput,
            bb.throughput,
            "msg/s",
            f"≥ {pipeline.GOAL_THROUGHPUT:g} msg/s",
            ob.throughput >= pipeline.GOAL_THROUGHPUT,
        ),
        Figure("server CPU per message", _cpu(ob), _cpu(bb), "ms"),
        Figure(
            "steady ack p99",
            ms(pipeline.pct(res.ours_stream.latencies, 99)),
            ms(pipeline.pct(res.base_stream.latencies, 99)),
            "ms",
        ),
    ]


def _cpu(load: pipeline.Load) -> float | None:
    done = len(load.latencies)
    return load.server_cpu / done * 1000 if done and load.server_cpu else None


def pipeline_args(argv: Sequence[str]) -> argparse.Namespace:
    """The pipeline bench's options, defaults as its own command line gives them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=45)
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=15)
    return parser.parse_args(list(argv))


def profile_figures(tiny: bool) -> list[Figure]:
    table = profile_accuracy.evaluate("heldout")
    ok = sum(v[0] for v in table.values())
    total = sum(v[1] for v in table.values())
    accuracy = 100 * ok / total if total else None
    goal = f"≥ {GOAL_PROFILE_ACCURACY:g} %"
    passed = None if accuracy is None else accuracy >= GOAL_PROFILE_ACCURACY
    return [Figure("profile fields read right", accuracy, None, "%", goal, passed)]


# --- the benches run as ``python -m bench.NAME``, their figures read from what they print ---


@dataclass(frozen=True)
class Printed:
    """A bench that prints its figures: its arguments for ``make bench`` and for ``--tiny``
    (the same ones its own smoke test runs), and how its output becomes table rows."""

    module: str
    full: tuple[str, ...]
    tiny: tuple[str, ...]
    read: Callable[[str, Sequence[str]], list[Figure]]

    def figures(self, tiny: bool) -> list[Figure]:
        out, figures = self.run(tiny)
        print(out, end="\n", flush=True)  # the bench's own table
        return figures

    def run(
        self, tiny: bool, env: dict[str, str] | None = None, timeout: float = 3600
    ) -> tuple[str, list[Figure]]:
        """The bench's output and the rows read from it (an error if it failed); ``timeout``
        is a guard against a hung bench, not a goal."""
        argv = self.tiny if tiny else self.full
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{self.module}", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"bench.{self.module} {' '.join(argv)}: {done.stderr[-3000:]}")
        return done.stdout, self.read(done.stdout, argv)


def found(pattern: str, text: str, what: str) -> re.Match[str]:
    """The bench's line that gives ``what``; an error (never an empty row) when its output
    no longer has that shape."""
    match = re.search(pattern, text, re.M)
    if match is None:
        tail = text[-2000:]
        raise RuntimeError(f"{what}: no line matches {pattern!r} in the bench's output:\n{tail}")
    return match


def production_rows(text: str, argv: Sequence[str]) -> list[Figure]:
    """First-reply p95 of the stream at production defaults. Its baseline is the floor the
    debounce sets (no reply can leave before it): the ratio says how far above it we are."""
    stream = found(r"^stream.*: ([\d.]+) new leads/s for ([\d.]+) s", text, "first reply")
    p95 = found(r"first reply part sent after: p50 [\d.]+ s, p95 ([\d.]+) s", text, "p95")
    ours, goal = float(p95[1]), production.GOAL_P95_SECONDS
    name = f"first reply p95 at {stream[1]} new leads/s, production defaults (vs debounce)"
    floor = Settings.model_fields["debounce_seconds"].default
    return [Figure(name, ours, floor, "s", f"≤ {goal:g} s at 5 leads/s", ours <= goal)]


def _rate(argv: Sequence[str]) -> float:
    """The open loop's rate the goals are set at (100 msg/s), or the highest one run."""
    rates = [float(r) for r in argv[list(argv).index("--rates") + 1].split(",")]
    return 100.0 if 100.0 in rates else max(rates)


OPEN_LOOP_ROW = r"^  ({path}) +{rate:g} +\d+ +(\d+) +([\d.]+) +(\S+) +(\S+) +\S+ +[\d.]+$"


def webhook_rows(text: str, argv: Sequence[str]) -> list[Figure]:
    """The lean path's API CPU per webhook and ack p99 at 100 msg/s, and its highest rate
    with p99 <= 250 ms, open loop; the full unit of work (when run) is the baseline."""
    rate = _rate(argv)
    lean = found(OPEN_LOOP_ROW.format(path="lean", rate=rate), text, "open loop, lean")
    full = re.search(OPEN_LOOP_ROW.format(path="full", rate=rate), text, re.M)
    cpu, p99 = float(lean[3]), _ms(lean[5])
    best = found(r"^  lean: highest rate with p99 <= [\d.]+ ms: (.+)$", text, "highest rate")
    base = re.search(r"^  full: highest rate with p99 <= [\d.]+ ms: (.+)$", text, re.M)
    cpu_goal, p99_goal = webhook_path.GOAL_CPU_MS, webhook_path.GOAL_P99_MS
    return [
        Figure(
            f"API CPU per webhook at {rate:g} msg/s, lean path vs full (open loop)",
            cpu,
            float(full[3]) if full else None,
            "ms",
            f"≤ {cpu_goal:g} ms",
            cpu <= cpu_goal,
        ),
        Figure(
            f"webhook ack p99 at {rate:g} msg/s, lean path vs full (open loop)",
            p99,
            _ms(full[5]) if full else None,
            "ms",
            f"≤ {p99_goal:g} ms at 100 msg/s",
            None if p99 is None else p99 <= p99_goal and int(lean[2]) == 0,
        ),
        Figure(
            f"highest rate with ack p99 ≤ {webhook_path.USABLE_P99_MS:g} ms, lean vs full",
            _msgs(best[1]),
            _msgs(base[1]) if base else None,
            "msg/s",
        ),
    ]


def _ms(cell: str) -> float | None:
    return None if cell == "—" else float(cell)


def _msgs(cell: str) -> float | None:
    """``200 msg/s``, or None for ``none of the rates``."""
    return float(cell.split()[0]) if cell.endswith(" msg/s") else None


def brain_rows(text: str, argv: Sequence[str]) -> list[Figure]:
    """SQL statements per message (mean) and the non-LLM time per message p95 at the scale
    run; the naive vector search (the bench's BASELINE mode, when run) is the baseline."""
    scale = found(r"^BRAIN BENCHMARK .* scale ([\d.]+) ", text, "brain scale")[1]
    data = found(r"^data: (\d+) tenants .* = ([\d,]+) listings; .* ([\d,]+) messages", text, "data")
    at = f"scale {scale}: {data[1]} tenants, {data[2]} listings, {data[3]} messages"
    statements = float(found(r"^SUMMARY statements/msg ([\d.]+);", text, "statements")[1])
    goal = found(r"^  non-LLM time per message p95 < 50 ms +([\d.]+) ms", text, "brain p95")
    p95 = float(goal[1])
    naive = None
    if "--no-naive" not in argv:
        baseline = text[found(r"^BASELINE \(naive", text, "brain baseline").end() :]
        naive = float(found(r"^  all +\d+ +[\d.]+ +([\d.]+) ", baseline, "baseline p95")[1])
    ms = brain.GOAL_P95_MS
    return [
        Figure(
            f"brain SQL statements per message, mean, {at}",
            statements,
            None,
            "statements",
            f"≤ {GOAL_BRAIN_STATEMENTS:g}",
            statements <= GOAL_BRAIN_STATEMENTS,
        ),
        Figure(
            f"brain non-LLM time per message p95 vs naive vector search, {at}",
            p95,
            naive,
            "ms",
            f"≤ {ms:g} ms at full scale",
            p95 <= ms,
        ),
    ]


# The goals for the benches that print their figures. The brain runs at a small scale
# here (its full scale, 1M messages, takes 15 minutes to load: a hand-run section below).
PRINTED = {
    "production": Printed(
        "production",
        ("--only", "stream", "--rate", "5", "--seconds", "10"),
        ("--only", "stream", "--rate", "1", "--seconds", "2"),
        production_rows,
    ),
    "webhook_path": Printed(
        "webhook_path",
        ("--open-loop", "--webhooks", "100", "--rates", "50,100,200", "--seconds", "5"),
        (
            *("--webhooks", "4", "--leads", "2", "--open-loop", "--only", "lean"),
            *("--rates", "5", "--seconds", "1"),
        ),
        webhook_rows,
    ),
    "brain": Printed(
        "brain", ("--scale", "0.02", "--messages", "100"), ("--tiny", "--no-naive"), brain_rows
    ),
}

BENCHES: dict[str, Callable[[bool], list[Figure]]] = {
    "pipeline": pipeline_figures,
    "profile_accuracy": profile_figures,
    **{name: bench.figures for name, bench in PRINTED.items()},
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="toy sizes: proves the code runs")
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load_before = pipeline.load_average()
    figures: list[Figure] = []
    for name in args.only or list(BENCHES):
        started = time.monotonic()
        print(f"bench {name} ...", file=sys.stderr, flush=True)
        figures += BENCHES[name](args.tiny)
        print(f"  {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    load = (load_before, pipeline.load_average())
    text = render(figures, commit=commit(), cores=os.cpu_count() or 0, load=load)
    args.out.write_text(text + kept(args.out), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
