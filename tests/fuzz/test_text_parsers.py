"""The domain's text parsers read whatever a lead types: budgets, phones, qualification
slots and acts. Any text gives an answer of the documented shape, never an exception
(``normalize_phone`` documents ``ValueError`` for what is no phone)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from vellarys.domain.budget import format_brl, parse_budget
from vellarys.domain.phone import normalize_phone, phone_variants
from vellarys.domain.qualification import extract, merge, missing_slots
from vellarys.domain.understanding import UnderstandingContext, understand

# Words the parsers react to, so examples reach past the "nothing found" branch.
WORDS = [
    "R$",
    "mil",
    "milhão",
    "milhões",
    "1,2",
    "600",
    "3.500",
    "até",
    "entre",
    "e",
    "acima de",
    "quartos",
    "vagas",
    "apartamento",
    "casa",
    "comprar",
    "alugar",
    "por mês",
    "março",
    "financiamento",
    "pix",
    "cachorro",
    "corretor",
    "Curitiba",
    "Batel",
    "meu nome é",
    "Carlos",
    "AP-123",
    "esse",
    "o primeiro",
    "?",
    "!",
    "😀",
    "\n",
    "  ",
    "-",
    ".",
    ",",
    "9" * 30,
    "0",
    "um",
    "dois",
    "três",
    "trinta",
    "cem",
    "bilhão",
    "uns",
    "k",
    "1e9",
]
lead_text = st.text(max_size=200) | st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join)
SLOTS = [
    None,
    "name",
    "budget",
    "city",
    "bedrooms",
    "timeline",
    "intent",
    "property_type",
    "parking",
    "payment",
    "pets",
]


@given(text=lead_text, assume=st.booleans())
def test_budget_is_none_or_ordered_non_negative_bounds(text: str, assume: bool) -> None:
    budget = parse_budget(text, assume_money=assume)
    if budget is None:
        return
    assert budget.minimum is not None or budget.maximum is not None
    for bound in (budget.minimum, budget.maximum):
        if bound is not None:
            assert isinstance(bound, int) and bound >= 0
            assert format_brl(bound).startswith("R$")


digits_like = st.text(alphabet="0123456789+-() .@:abcsw", max_size=40)


@given(raw=st.text(max_size=60) | digits_like)
def test_phone_is_e164_or_value_error(raw: str) -> None:
    try:
        phone = normalize_phone(raw)
    except ValueError:
        return
    assert phone.startswith("+") and phone[1:].isdigit() and 9 <= len(phone) <= 16
    assert normalize_phone(phone) == phone
    variants = phone_variants(phone)
    assert variants[0] == phone and len(set(variants)) == len(variants)


@given(
    text=lead_text,
    asked=st.sampled_from(SLOTS),
    intent=st.sampled_from([None, "buy", "rent"]),
    name_allowed=st.booleans(),
    today=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_slots_are_a_flat_dict_that_merges(
    text: str, asked: str | None, intent: str | None, name_allowed: bool, today: date | None
) -> None:
    slots = extract(
        text,
        known_neighborhoods=("Batel", "Água Verde"),
        known_cities=("Curitiba",),
        asked=asked,
        today=today,
        intent=intent,
        name_allowed=name_allowed,
    )
    assert all(value is not None for value in slots.values())
    for key in ("bedrooms", "parking"):
        if key in slots:
            assert isinstance(slots[key], int) and slots[key] >= 0
    profile = merge({}, slots)
    assert isinstance(missing_slots(profile), list)


@given(text=lead_text, last_asked=st.sampled_from(SLOTS))
def test_acts_index_the_original_text(text: str, last_asked: str | None) -> None:
    context = UnderstandingContext(
        last_asked=last_asked,
        shown_codes=("AP-123", "CA-7"),
        last_shown_batch=("AP-123", "CA-7"),
        staff_names=("Carlos",),
        served_cities=("Curitiba",),
        known_neighborhoods=("Batel",),
    )
    acts = understand(text, context)
    if not text.strip():
        assert acts == []
    for act in acts:
        assert 0 <= act.start <= act.end <= len(text)
        assert act.kind
