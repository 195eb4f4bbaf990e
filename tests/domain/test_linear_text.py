"""Text parsing is linear on bounded input: a lead's long or hostile message cannot freeze the
worker (a 65,536-character text once took the quadratic e-mail pattern ~25 s)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vellarys.domain.chunking import split_text
from vellarys.domain.intent import detect_intents
from vellarys.domain.prompt import validate_profile_update
from vellarys.domain.qualification import extract
from vellarys.domain.text import PARSED_TEXT_MAX_CHARS, parsed_part

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ["a" * 65_536, "a@" * 32_768, "a." * 32_768, "é" * 65_536, "sou " * 16_384]


def test_every_pattern_of_the_domain_and_services_finishes_on_long_adversarial_inputs() -> None:
    # A linear pattern set finishes in seconds; one quadratic pattern needs hours on these
    # 50,000-character runs, so the watchdog (generous on purpose) stops it and this fails.
    done = subprocess.run(
        [sys.executable, "-m", "tests.domain.regex_probe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    patterns, inputs = map(int, done.stdout.split())
    assert patterns >= 50 and inputs == 30


def test_the_parsers_read_a_bounded_part_of_any_text() -> None:
    text = "x" * 100_000 + " meu e-mail é ana@exemplo.com.br"
    assert len(parsed_part(text)) == PARSED_TEXT_MAX_CHARS
    assert parsed_part(text).endswith("ana@exemplo.com.br")
    assert extract("ana@exemplo.com.br " + "x" * 100_000).get("email") is None


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda s: repr(s[:4]))
def test_an_email_after_a_long_hostile_run_is_still_found(hostile: str) -> None:
    found = extract(hostile[:6000] + " meu email é Ana.Souza+imovel@exemplo.com.br ok")
    assert found["email"] == "ana.souza+imovel@exemplo.com.br"


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda s: repr(s[:4]))
def test_hostile_texts_give_no_email_and_no_crash(hostile: str) -> None:
    assert "email" not in extract(hostile)
    assert isinstance(detect_intents(hostile), frozenset)
    assert validate_profile_update({"email": hostile}) == {}


def test_a_long_markdown_heading_of_hashes_is_chunked_with_the_rest() -> None:
    chunks = split_text("# Título\n\nTexto.\n\n# x" + "#" * 50_000 + "y\n\nFim.")
    assert chunks[0].heading == "# Título"
    assert "Fim." in chunks[-1].content
