"""Profile fields read from the labelled messages of bench/data/profile_fields.jsonl."""

import pytest

from bench.profile_accuracy import evaluate, labelled, read


@pytest.mark.parametrize(("labels", "floor"), [("tuning", 0.97), ("heldout", 0.93)])
def test_profile_fields_are_right_on_the_labelled_sets(labels: str, floor: float) -> None:
    table = evaluate(labels)
    right = sum(ok for ok, _ in table.values())
    counted = sum(total for _, total in table.values())
    assert right / counted >= floor


@pytest.mark.parametrize(
    "text",
    ["Prazer, Poxa!", "Poxa, que demora", "Beleza", "Obrigado, Marcos", "Tudo bem sim"],
)
def test_a_common_word_is_never_a_name(text: str) -> None:
    assert "name" not in read({"text": text, "asked": "name"})


def test_a_button_title_is_never_a_name() -> None:
    assert "name" not in read({"text": "Carla", "asked": "name", "button": True})


def test_only_the_property_budget_sets_the_budget() -> None:
    found = read({"text": "meu saldo do FGTS é de uns 35 mil", "asked": "budget_max"})
    assert found["fgts_balance"] == 35_000 and "budget_max" not in found
    found = read({"text": "tenho 150 mil de entrada e ganho 10 mil"})
    assert (found["down_payment"], found["monthly_income"]) == (150_000, 10_000)
    assert "budget_max" not in found


def test_a_count_attaches_to_its_noun() -> None:
    assert "parking" not in read({"text": "vi três imóveis de vcs no site", "asked": "parking"})


def test_every_labelled_row_names_known_fields() -> None:
    assert len(labelled("tuning")) >= 80 and len(labelled("heldout")) >= 40
