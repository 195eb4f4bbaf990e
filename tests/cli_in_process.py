"""The ``vellarys`` command line run inside the test process, with typer's runner.

Same app, commands, options, exit codes, stdout and stderr as ``python -m vellarys``, without
a Python start-up per command (importing the app costs seconds of CPU, and the CLI tests ran
dozens of commands). tests/test_cli.py keeps the tests that start the real entry point
(``vellarys up``, ``migrate`` + ``seed-demo`` as processes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from typer.testing import CliRunner

from vellarys.cli import app

# The suite's cheap argon2 cost stays (tests/conftest.py): a command's build() applies the
# settings it reads to the whole process, and production's cost would slow every later test.
_KEPT = ("VELLARYS_PASSWORD_HASH_TIME_COST", "VELLARYS_PASSWORD_HASH_MEMORY_KIB")


@dataclass(frozen=True, slots=True)
class Ran:
    """What ``subprocess.run(..., capture_output=True, text=True)`` would have given."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(env: dict[str, str], *args: str) -> Ran:
    """Run ``vellarys ARGS`` with ``env`` as its only ``VELLARYS_*`` settings.

    The environment is restored afterwards: commands write their options into it (for the
    child processes a real run would start). An unexpected exception fails the test with its
    traceback, as a crash would fail the process."""
    saved = dict(os.environ)
    isolated: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("VELLARYS_") and name not in _KEPT
    }
    isolated |= {name: value for name, value in env.items() if name.startswith("VELLARYS_")}
    try:
        result = CliRunner().invoke(app, list(args), env=isolated, catch_exceptions=False)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Ran(result.exit_code, result.stdout, result.stderr)
