"""What leaves for WhatsApp and what is read from a lead's words, fed arbitrary text.

The renderer is the one door every outbound passes: whatever a brain or a person writes, it
never raises, never lets Markdown's doubled marks through, is idempotent, and splits into
bubbles no longer than asked. Amounts, intents, listing codes and names read from any text
have the documented shape.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vellarys.domain.amounts import rent_includes_fees, typed_amounts
from vellarys.domain.intent import detect_intents, is_opt_out, listing_codes
from vellarys.domain.lead_name import bare_name, name_in
from vellarys.domain.whatsapp_format import bubbles, render

# Markdown and WhatsApp marks, so examples reach the rewriting branches.
MARKS = [
    "**", "*", "__", "_", "~~", "~", "#", "## ", "### ", "```", "~~~", "|", "| --- |", ":-:",
    "- ", "* ", "+ ", "• ", "1. ", "[", "](", ")", "![", "http://x.y/z", "\n", "\n\n", " ",
    "\t", "Olá", "*R$ 500 mil*", "Pinheiros", "😀", "\u200b", ".", "!", "?",
]  # fmt: skip
reply_text = st.text(max_size=300) | st.lists(st.sampled_from(MARKS), max_size=60).map("".join)
DOUBLED = ("**", "__", "~~")


@given(text=reply_text, limit=st.integers(min_value=1, max_value=1200))
def test_rendered_replies_carry_no_markdown_marks_and_fit_their_bubbles(
    text: str, limit: int
) -> None:
    rendered = render(text)
    assert not any(mark in rendered for mark in DOUBLED), rendered
    assert render(rendered) == rendered
    parts = bubbles(text, limit=limit)
    assert all(part and len(part) <= limit for part in parts)
    assert not any(mark in part for part in parts for mark in DOUBLED)
    assert (parts == []) == (rendered == "")


@pytest.mark.timeout(120)  # a regular expression gone quadratic hangs here instead of in prod
@settings(max_examples=30)
@given(mark=st.sampled_from(MARKS), word=st.sampled_from(["a", "", " ", "#a", "*a"]))
def test_long_runs_of_one_mark_render(mark: str, word: str) -> None:
    text = (mark + word) * (6000 // max(1, len(mark + word)))
    parts = bubbles(text)
    assert all(len(part) <= 1000 for part in parts)
    assert not any(m in part for part in parts for m in DOUBLED)


WORDS = [
    "entrada", "de", "sinal", "fgts", "fundo de garantia", "renda", "ganho", "parcela",
    "prestação", "R$", "mil", "milhão", "1,5", "300", "3.500", "12 mil", "com condomínio",
    "+ condomínio", "fora o condomínio", "tudo incluso", "mas", ",", ".", "quero", "comprar",
    "alugar", "parar", "SAIR", "não quero mais", "AP-123", "cod 4567", "ap 1234", "meu nome é",
    "sou a", "Carlos", "maria", "aqui", "é o", "oi", "?", "😀", "9" * 25, "0", "e",
]  # fmt: skip
lead_text = st.text(max_size=200) | st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join)
AMOUNT_KINDS = {"fgts_balance", "down_payment", "monthly_income", "monthly_instalment"}


@given(text=lead_text)
def test_amounts_intents_codes_and_names_have_their_shape(text: str) -> None:
    amounts = typed_amounts(text)
    assert set(amounts) <= AMOUNT_KINDS
    assert all(isinstance(v, int) and v >= 0 for v in amounts.values())
    assert rent_includes_fees(text) in (True, False, None)
    assert all(isinstance(intent, str) and intent for intent in detect_intents(text))
    assert isinstance(is_opt_out(text), bool)
    codes = listing_codes(text)
    assert len(codes) == len(set(codes)) and all(code == code.upper() for code in codes)
    for name in (name_in(text), bare_name(text), bare_name(text, person=False)):
        assert name is None or (name.strip() == name and name and "\n" not in name)
