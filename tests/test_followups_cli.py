"""``vellarys followups preview`` and ``vellarys channel template`` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.cli_in_process import Ran, run_cli
from tests.test_cli import _env
from vellarys.domain import business_hours

AGENCY = Path(__file__).parent.parent / "vellarys" / "demo" / "data" / "agency.json"


def _run(env: dict[str, str], *args: str) -> Ran:
    return run_cli(env, *args)  # in-process: tests/test_cli.py starts the real entry point


def test_preview_shows_the_demo_leads_first_nudge_without_sending_it(demo_database: str) -> None:
    env = _env(VELLARYS_DATABASE_URL=demo_database)  # the demo as `seed-demo` leaves it
    chat = _run(
        env,
        "chat",
        "--tenant",
        "demo",
        "--phone",
        "+5511955554444",
        "--json",
        "Oi, quero alugar um apartamento em Pinheiros",
    )
    assert chat.returncode == 0, chat.stderr
    hours = business_hours.from_settings(json.loads(AGENCY.read_text())["settings"])
    tomorrow = business_hours.next_opening(hours, datetime.now(UTC) + timedelta(hours=25))

    shown = _run(
        env, "followups", "preview", "--tenant", "demo", "--at", tomorrow.isoformat(), "--json"
    )
    assert shown.returncode == 0, shown.stderr
    [item] = json.loads(shown.stdout)
    assert set(item) == {"lead_id", "phone", "kind", "step", "send_at", "text", "template"}
    assert (item["phone"], item["kind"], item["step"]) == ("+5511955554444", "follow_up", 1)
    assert "Pinheiros" in item["text"] and item["template"] is None
    again = _run(
        env, "followups", "preview", "--tenant", "demo", "--at", tomorrow.isoformat(), "--json"
    )
    assert json.loads(again.stdout) == [item]  # a preview sends (and claims) nothing
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert (
        json.loads(
            _run(
                env, "followups", "preview", "--tenant", "demo", "--at", soon.isoformat(), "--json"
            ).stdout
        )
        == []
    )
    bad = _run(env, "followups", "preview", "--tenant", "demo", "--at", "amanhã")
    assert bad.returncode == 1 and "ISO-8601" in bad.stderr


def test_template_add_list_remove(empty_database: str) -> None:
    env = _env(VELLARYS_DATABASE_URL=empty_database)
    _run(env, "migrate")
    _run(env, "tenant", "create", "--slug", "casa-nova", "--name", "Casa Nova")
    _run(
        env,
        "channel",
        "add",
        "meta",
        "--tenant",
        "casa-nova",
        "--phone-number-id",
        "1098",
        "--access-token",
        "EAAG-test",
        "--app-secret",
        "s3cret",
    )
    added = _run(
        env,
        "channel",
        "template",
        "add",
        "retomada_1",
        "--tenant",
        "casa-nova",
        "--purpose",
        "follow_up",
        "--variables",
        "lead_name,interest",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["variables"] == ["lead_name", "interest"]
    listed = json.loads(
        _run(env, "channel", "template", "list", "--tenant", "casa-nova", "--json").stdout
    )
    assert [(t["name"], t["language"], t["purpose"]) for t in listed] == [
        ("retomada_1", "pt_BR", "follow_up")
    ]
    wrong = _run(
        env,
        "channel",
        "template",
        "add",
        "x",
        "--tenant",
        "casa-nova",
        "--purpose",
        "follow_up",
        "--variables",
        "cpf",
    )
    assert wrong.returncode == 1 and "cpf" in wrong.stderr
    assert (
        _run(env, "channel", "template", "remove", "retomada_1", "--tenant", "casa-nova").returncode
        == 0
    )
    assert (
        json.loads(
            _run(env, "channel", "template", "list", "--tenant", "casa-nova", "--json").stdout
        )
        == []
    )
