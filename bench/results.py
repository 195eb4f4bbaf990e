"""`make bench`: run the benchmarks and write bench/RESULTS.md.

Each row: figure, ours, baseline, ratio (ours ÷ baseline), goal, PASS/MISS; the header names
the commit, the core count and the load average before and after, since the machine is shared.
``--tiny`` runs every benchmark at a toy size (the smoke test uses it; its figures mean nothing).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import pipeline, profile_accuracy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
GOAL_PROFILE_ACCURACY = 90.0  # % of profile fields read right on the held-out set


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


BENCHES: dict[str, Callable[[bool], list[Figure]]] = {
    "pipeline": pipeline_figures,
    "profile_accuracy": profile_figures,
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
