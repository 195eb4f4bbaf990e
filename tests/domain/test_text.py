"""Folding text: every parser compares folded text, so the fast paths must fold exactly as
the plain definition does (NFKD, combining marks dropped, lowercase, single spaces)."""

import unicodedata

import pytest

from vellarys.domain.excerpt import sentences, shares_words
from vellarys.domain.text import find_places, fold, strip_accents


def _plain_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


@pytest.mark.parametrize(
    "text",
    [
        "  São   Paulo\tÇAÇÃO ",
        "quero um apê 🙂 em Itaím",
        "e\u0301 a\u20d0b",  # a Latin mark and a mark outside the Latin block
        "ﬁnanciamento Ⅻ",  # compatibility forms NFKD rewrites
        "Ōsaka Łódź Dvořák",
        "",
    ],
)
def test_fold_matches_the_plain_definition(text: str) -> None:
    assert fold(text) == _plain_fold(text)
    assert fold(text) == fold(text)  # remembered: the same answer the second time


def test_fold_of_a_long_text_is_not_remembered_but_still_folded() -> None:
    text = "Imóvel à VENDA  " * 400
    assert fold(text) == _plain_fold(text)


def test_strip_accents_drops_every_combining_mark_and_keeps_other_symbols() -> None:
    assert strip_accents("São João") == "Sao Joao"
    assert strip_accents("a\u20d0\u05b0b 🙂") == "ab 🙂"
    assert strip_accents("plain ascii") == "plain ascii"


def test_places_and_excerpts_give_the_same_answer_when_asked_again() -> None:
    names = ["Vila Madalena", "Vila Mariana", "Itaim Bibi", "Pinheiros"]
    for _ in range(2):
        assert find_places("quero no itaim ou na vila madalena", names) == [
            "Itaim Bibi",
            "Vila Madalena",
        ]
    chunk = "## Fiador\nAceitamos seguro fiança. O prazo é de 30 meses."
    for _ in range(2):
        assert sentences(chunk) == ["Aceitamos seguro fiança.", "O prazo é de 30 meses."]
        assert shares_words(chunk, "aceitam seguro fiança?")
