"""The one renderer every outbound text passes: WhatsApp's marks only, bubbles at paragraphs."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from vellarys.domain.whatsapp_format import bubbles, render

_TOKENS = [*"ab1 *_#|-:~`[]()!•\n\t>.", "**", "__", "|---|", "# ", "\n\n"]
_MARKDOWNISH = st.lists(st.sampled_from(_TOKENS), max_size=120).map("".join)
_MARKDOWN_LINES = st.lists(
    st.one_of(
        st.text(alphabet="abcdef 12*_#|-", max_size=30),
        st.builds(lambda t: f"# {t}", st.text(alphabet="abc *", max_size=20)),
        st.builds(lambda t: f"**{t}**", st.text(alphabet="abc *_", min_size=1, max_size=20)),
        st.builds(
            lambda a, b: f"| {a} | {b} |", st.text("abc1|", max_size=8), st.text("x9", max_size=8)
        ),
        st.just("|---|---|"),
        st.just("| :-- | --: |"),
        st.builds(lambda t: f"- {t}", st.text(alphabet="abc **", max_size=20)),
    ),
    max_size=15,
).map("\n".join)


def _leaks(text: str) -> list[str]:
    found = []
    if "**" in text or "__" in text:
        found.append("double mark")
    if re.search(r"(?m)^\s*#", text):
        found.append("heading")
    if re.search(r"##|#(?!\w)", text):
        found.append("heading mark inside a line")
    if re.search(r"\|\s*:?-+:?\s*\|", text) or re.search(r"(?m)^\s*\|.*\|\s*$", text):
        found.append("table")
    return found


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.one_of(_MARKDOWNISH, _MARKDOWN_LINES))
def test_no_markdown_ever_reaches_a_lead(text: str) -> None:
    for bubble in bubbles(text):
        assert _leaks(bubble) == [], (text, bubble)
        assert bubble == bubble.strip() and bubble


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(_MARKDOWNISH, _MARKDOWN_LINES))
def test_rendering_twice_changes_nothing(text: str) -> None:
    once = render(text)
    assert render(once) == once


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.text("abc defg.", min_size=1, max_size=400), min_size=1, max_size=8),
    st.integers(40, 900),
)
def test_bubbles_respect_the_limit_and_keep_every_word(paragraphs: list[str], limit: int) -> None:
    text = "\n\n".join(paragraphs)
    parts = bubbles(text, limit=limit)
    assert all(len(part) <= limit for part in parts)
    assert " ".join(parts).split() == render(text).split()


def test_markdown_becomes_whatsapp_marks() -> None:
    assert (
        render("Olá **Ana**, veja os __custos__ e ~~isso~~")
        == "Olá *Ana*, veja os _custos_ e ~isso~"
    )


def test_headings_are_bold_lines_and_lists_are_bullets() -> None:
    text = "## Próximos passos\n- visitar o AP1234\n* simular a parcela\n+ enviar documentos"
    assert (
        render(text)
        == "*Próximos passos*\n• visitar o AP1234\n• simular a parcela\n• enviar documentos"
    )


def test_a_heading_mark_inside_a_line_never_reaches_a_lead() -> None:
    assert render("Ótimo! ### Opções para você") == "Ótimo! Opções para você"
    assert render("Custos:## Total\nveja # isso") == "Custos: Total\nveja isso"
    # One "#" before a word or number is plain text that WhatsApp shows as written.
    assert render("apto #12, #casapaulista") == "apto #12, #casapaulista"


def test_two_column_table_becomes_item_value_lines() -> None:
    text = "Custos:\n| Item | Valor |\n|---|---|\n| ITBI | R$ 26.850 |\n| Registro | R$ 4.200 |"
    assert render(text) == "Custos:\n\nITBI: R$ 26.850\nRegistro: R$ 4.200"


def test_wider_table_names_each_value_by_its_header() -> None:
    text = "| Código | Bairro | Preço |\n|:--|--:|---|\n| AP1001 | Mooca | R$ 500 mil |"
    assert render(text) == "AP1001 — Bairro: Mooca, Preço: R$ 500 mil"


def test_whatsapp_text_passes_unchanged() -> None:
    text = "*AP1234* — Mooca\n• 2 quartos\n• _aceita pet_\n\nQuer agendar uma visita?"
    assert render(text) == text
    assert bubbles(text) == [text]


def test_long_text_splits_at_paragraph_boundaries() -> None:
    first, second = "a" * 600, "b" * 600
    assert bubbles(f"{first}\n\n{second}") == [first, second]
