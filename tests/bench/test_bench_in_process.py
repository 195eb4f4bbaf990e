"""The benches that need no process of their own run here at a toy size, called as their
``main`` calls them, on the suite's databases: they cannot rot, and cost no interpreter start.

The timings they print mean nothing at these sizes; what is checked is what each accounts for
(the questions asked, the recall of an exact search, a script played and scored, a voice note
and a screenshot read and answered). The accuracy floors sit a little under what the benches
print on the full sets, as tests/domain/test_act_corpus.py does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import (
    conversations,
    intent_accuracy,
    knowledge_threshold,
    profile_accuracy,
    retrieval,
    simulator_media,
)
from bench.conversation_scripts.scripts import SCRIPTS
from tests.conftest import make_settings
from tests.embedder import shared_embedder
from vellarys.domain.understanding import ACT_KINDS


def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text, re.M)
    assert found, (pattern, text[-3000:])
    return float(found.group(1))


def test_the_accuracy_benches_print_their_tables(capsys: pytest.CaptureFixture[str]) -> None:
    profile_accuracy.main(["--set", "heldout"])
    intent_accuracy.report([("rules", *intent_accuracy.evaluate(None))])
    out = capsys.readouterr().out
    labelled = len(profile_accuracy.labelled("heldout"))
    assert f"heldout: {labelled} labelled messages" in out
    assert _number(r"^\| all \| \d+ \| \d+ \| ([\d.]+)%", out) >= 90
    assert "| act | held-out | rules recall | rules precision |" in out
    for kind in ACT_KINDS:
        assert re.search(rf"^\| {kind} \| \d+ \| ", out, re.M), kind
    assert _number(r"^\| all \(micro\) \| \| +([\d.]+)% \(exact set", out) >= 50


async def test_the_retrieval_and_threshold_benches_run_on_the_indexed_demo(
    demo_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    embedder = shared_embedder()
    knowledge_threshold.report(await knowledge_threshold.scores(demo_database, embedder))
    args = retrieval.parse_args(["--tiny", "--queries", "2"])
    await retrieval.run(demo_database, args, embedder)
    out = capsys.readouterr().out

    questions = json.loads(retrieval.QUESTIONS.read_text(encoding="utf-8"))
    answerable = sum(q["document"] is not None for q in questions)
    assert f"{answerable} answerable, {len(questions) - answerable} unanswerable" in out
    assert out.count("<- in use") == 1  # the threshold the brain uses is among those tried
    assert _number(r"^the brain's decision .* accuracy ([\d.]+)$", out) >= 0.8

    assert f"{answerable} questions" in out
    assert _number(r"recall@3 ([\d.]+)", out) >= 0.8
    # Below the exact-search threshold the strategy is exact: it finds the true top 10.
    for size, tenants in retrieval.TINY_SIZE_CLASSES:
        row = rf"^  {size:<7,} {tenants:>7} {2 * tenants:>7} .* 1\.000  exact:{2 * tenants} "
        assert re.search(row, out, re.M), (row, out[-2000:])


async def test_the_conversations_eval_plays_a_script_and_scores_it(
    demo_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The seeded and embedded demo, as make eval leaves it: the eval only plays.
    await conversations.run(demo_database, conversations.parse_args(["--only", "ITBI"]))
    out = capsys.readouterr().out
    played = [s.name for s in SCRIPTS if "itbi" in s.name.casefold()]
    assert out.startswith("brain: ") and len(played) == 2, played
    for name in played:  # each transcript: the lead's messages, the replies, the end state
        assert re.search(rf"^### {re.escape(name)} \(.+\)\n👤 .+\n🤖 .+", out, re.M), name
    assert len(re.findall(r"^→ perfil \{.*\} \| estágio \w+ \| temperatura \w+", out, re.M)) == 2
    assert re.search(r"^scripts passed: +2/2$", out, re.M), out
    assert _number(r"^profile fields: +\d+/(\d+) right", out) >= 1
    assert re.search(r"^global violations: +0$", out, re.M), out


@pytest.mark.timeout(600)  # Whisper and RapidOCR load their models: minutes on a busy machine
async def test_the_simulator_media_bench_answers_a_voice_note_and_a_screenshot(
    fresh_database: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_database()  # type: ignore[operator]
    settings = make_settings(url, tmp_path, debounce_seconds=0, send_pace_seconds=0)
    await simulator_media.simulate(settings, url, runs=1)
    out = capsys.readouterr().out
    voice, picture = out.split("=== portal screenshot 1 (AP1102) ===")
    assert "=== voice note 1" in voice
    # Whisper hears espeak's "quartos em Pinheiros" as it may; these words it gets right.
    assert re.search(r"^read: '.*alugar um apartamento.*'$", voice, re.M | re.I), voice
    assert re.search(r"^read_seconds: [\d.]+ ", voice, re.M), voice
    assert "listing_code: AP1102" in picture, picture  # read from the screenshot
    for part in (voice, picture):
        assert _number(r"^upload -> first reply stored: ([\d.]+) s$", part) >= 0
        assert re.search(r"^  assistant: .+", part, re.M), part
