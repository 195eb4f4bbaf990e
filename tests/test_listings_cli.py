"""``vellarys listings sync`` as an operator runs it, on a real database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_in_process import Ran, run_cli
from tests.test_cli import _env

FIXTURES = Path(__file__).parent / "data" / "vrsync"


def _run(env: dict[str, str], *args: str) -> Ran:
    return run_cli(env, *args)  # in-process: tests/test_cli.py starts the real entry point


def test_sync_from_a_file_prints_the_counts_and_refuses_a_bomb(empty_database: str) -> None:
    env = _env(VELLARYS_DATABASE_URL=empty_database)
    assert _run(env, "migrate").returncode == 0
    assert _run(env, "tenant", "create", "--slug", "feedy", "--name", "Feedy").returncode == 0
    feed = str(FIXTURES / "feed.xml")

    done = _run(env, "listings", "sync", "--tenant", "feedy", "--file", feed, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["added"], report["updated"], report["unpublished"]) == (4, 0, 0)
    assert [r["code"] for r in report["rejected"]] == ["VR-100", "VR-400", "VR-500", ""]
    again = json.loads(
        _run(env, "listings", "sync", "--tenant", "feedy", "--file", feed, "--json").stdout
    )
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 4)

    bomb = _run(env, "listings", "sync", "--tenant", "feedy", "--file", str(FIXTURES / "bomb.xml"))
    assert bomb.returncode == 1 and "DTDForbidden" in bomb.stderr
    both = _run(env, "listings", "sync", "--tenant", "feedy")
    assert both.returncode == 1 and "--url or --file" in both.stderr
    nobody = _run(env, "listings", "sync", "--tenant", "nope", "--file", feed)
    assert nobody.returncode == 1 and "nope" in nobody.stderr
