"""The bench package stands on its own and cannot rot: no module under bench/ imports from
tests/ (tests may import from bench, never the reverse), and every benchmark (a module with a
``main()`` or a ``__main__`` block) has a smoke test that runs it at a toy size.

Both read the sources with ``ast``; nothing is imported or run here."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench"

# Each benchmark and the test that runs it at a toy size (file::function).
SMOKE_TESTS = {
    "brain": "tests/bench/test_brain_bench.py::test_the_brain_bench_runs_at_a_tiny_size",
    "chaos": "tests/bench/test_bench_runs.py::"
    "test_the_chaos_bench_loses_nothing_when_the_worker_is_killed_in_a_tiny_run",
    "conversations": "tests/bench/test_bench_in_process.py::"
    "test_the_conversations_eval_plays_a_script_and_scores_it",
    "feed": "tests/test_bench_feed.py::"
    "test_the_feed_benchmark_syncs_a_generated_feed_and_its_changed_copy",
    "intent_accuracy": "tests/bench/test_bench_in_process.py::"
    "test_the_accuracy_benches_print_their_tables",
    "knowledge_threshold": "tests/bench/test_bench_in_process.py::"
    "test_the_retrieval_and_threshold_benches_run_on_the_indexed_demo",
    "media": "tests/bench/test_bench_runs.py::"
    "test_the_media_bench_transcribes_a_voice_note_and_reads_a_picture",
    "pipeline": "tests/bench/test_bench_smoke.py::test_every_benchmark_runs_at_a_tiny_size",
    "production": "tests/bench/test_bench_runs.py::test_the_production_bench_answers_a_short_stream",
    "profile_accuracy": "tests/bench/test_bench_in_process.py::"
    "test_the_accuracy_benches_print_their_tables",
    "results": "tests/bench/test_bench_smoke.py::test_every_benchmark_runs_at_a_tiny_size",
    "retrieval": "tests/bench/test_bench_in_process.py::"
    "test_the_retrieval_and_threshold_benches_run_on_the_indexed_demo",
    "scale": "tests/bench/test_bench_runs.py::"
    "test_the_scale_bench_answers_every_webhook_once_with_two_apis_and_two_workers",
    "simulator_media": "tests/bench/test_bench_in_process.py::"
    "test_the_simulator_media_bench_answers_a_voice_note_and_a_screenshot",
    "webhook_path": "tests/bench/test_webhook_path_smoke.py::"
    "test_the_webhook_path_bench_runs_in_process_and_open_loop_at_a_tiny_size",
}

# A string that names something under tests/: a path part ("tests", "tests/...") or a module
# run or imported by name ("tests.fakes...", as ``-m`` or ``importlib`` would take it).
TESTS_NAME = re.compile(r"tests(?:[./].*)?", re.S)


@functools.cache
def _modules() -> dict[str, ast.Module]:
    """Every module under bench/, by dotted name below ``bench``."""
    return {
        ".".join(path.relative_to(BENCH).with_suffix("").parts): ast.parse(
            path.read_text(encoding="utf-8"), filename=str(path)
        )
        for path in sorted(BENCH.rglob("*.py"))
    }


def _names_tests(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "tests" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "tests"
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(TESTS_NAME.fullmatch(node.value))
    )


def _is_benchmark(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main":
            return True
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return True
    return False


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_no_bench_module_imports_or_reads_from_tests() -> None:
    modules = _modules()
    assert {"kit", "conversations", "conversation_scripts.player"} <= set(modules)
    found = [
        f"bench/{name.replace('.', '/')}.py:{node.lineno}: {ast.unparse(node)[:80]}"
        for name, tree in modules.items()
        for node in ast.walk(tree)
        if _names_tests(node)
    ]
    assert not found, "bench/ must not depend on tests/:\n" + "\n".join(found)
    # The check itself sees each way of reaching tests/.
    for source in (
        "import tests.fakes",
        "from tests.conversations.player import play",
        'DATA = ROOT / "tests" / "data"',
        'argv = ["-m", "tests.fakes.providers"]',
    ):
        assert any(_names_tests(node) for node in ast.walk(ast.parse(source))), source
    assert not any(_names_tests(n) for n in ast.walk(ast.parse('"""the smoke tests run it"""')))


def test_every_benchmark_has_a_smoke_test() -> None:
    benchmarks = {name for name, tree in _modules().items() if _is_benchmark(tree)}
    assert {"pipeline", "retrieval", "conversations", "kit"} & benchmarks == {
        "pipeline",
        "retrieval",
        "conversations",
    }
    missing = sorted(benchmarks - set(SMOKE_TESTS))
    assert not missing, f"benchmarks with no smoke test (add one and list it here): {missing}"
    stale = sorted(set(SMOKE_TESTS) - benchmarks)
    assert not stale, f"listed here but not a benchmark under bench/: {stale}"
    for bench, node in SMOKE_TESTS.items():
        file, function = node.split("::")
        path = ROOT / file
        assert path.is_file(), (bench, node)
        assert function in _test_functions(path), (bench, node)
