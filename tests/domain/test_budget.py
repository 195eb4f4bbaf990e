from decimal import Decimal

import pytest

from vellarys.domain.budget import Budget, format_brl, parse_budget


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("700 mil", Budget(maximum=700_000)),
        ("700k", Budget(maximum=700_000)),
        ("700K", Budget(maximum=700_000)),
        ("1,2 milhão", Budget(maximum=1_200_000)),
        ("1.2mi", Budget(maximum=1_200_000)),
        ("1,2 mi", Budget(maximum=1_200_000)),
        ("um milhão e duzentos", Budget(maximum=1_200_000)),
        ("1 milhão e 200 mil", Budget(maximum=1_200_000)),
        ("1 milhao e meio", Budget(maximum=1_500_000)),
        ("meio milhão", Budget(maximum=500_000)),
        ("2 milhões", Budget(maximum=2_000_000)),
        ("1kk", Budget(maximum=1_000_000)),
        ("setecentos mil", Budget(maximum=700_000)),
        ("quinhentos e cinquenta mil", Budget(maximum=550_000)),
        ("três mil e quinhentos", Budget(maximum=3_500)),
        ("R$ 3.500", Budget(maximum=3_500)),
        ("R$ 3.500,00", Budget(maximum=3_500)),
        ("R$3500", Budget(maximum=3_500)),
        ("3500 reais", Budget(maximum=3_500)),
        ("R$ 1.250.000,00", Budget(maximum=1_250_000)),
        ("700.000", Budget(maximum=700_000)),
        ("até 4 mil por mês", Budget(maximum=4_000)),
        ("até 3500", Budget(maximum=3_500)),
        ("no máximo 900 mil", Budget(maximum=900_000)),
        ("mais ou menos 700 mil", Budget(maximum=700_000)),
        ("não mais de 800 mil", Budget(maximum=800_000)),
        ("acima de 1 milhão", Budget(minimum=1_000_000)),
        ("a partir de 500 mil", Budget(minimum=500_000)),
        ("pelo menos 2 mil", Budget(minimum=2_000)),
        ("mais de 600 mil", Budget(minimum=600_000)),
        ("entre 500 e 600 mil", Budget(minimum=500_000, maximum=600_000)),
        ("de 2 a 3 mil", Budget(minimum=2_000, maximum=3_000)),
        ("de 900 a 1,2 milhão", Budget(minimum=900_000, maximum=1_200_000)),
        ("entre 1 e 1,5 milhão", Budget(minimum=1_000_000, maximum=1_500_000)),
        ("700k-800k", Budget(minimum=700_000, maximum=800_000)),
        ("de 500 mil até 700 mil", Budget(minimum=500_000, maximum=700_000)),
        ("acima de 500 mil e até 800 mil", Budget(minimum=500_000, maximum=800_000)),
        ("até 700 mil, ou melhor, até 750 mil", Budget(maximum=750_000)),
        ("até 650", Budget(maximum=650_000)),
        ("meu orçamento vai até uns 800", Budget(maximum=800_000)),
        ("pelo menos 500", Budget(minimum=500_000)),
        ("1 milhão é o teto", Budget(maximum=1_000_000)),
    ],
)
def test_parse_budget_reads_brazilian_money_phrases(text: str, expected: Budget) -> None:
    assert parse_budget(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2 quartos",
        "meu telefone é 11 98765-4321",
        "(11) 3456-7890",
        "vi o AP1234 no site",
        "quero mudar até 2026",
        "tenho 100 mil de entrada",
        "minha renda é 12 mil",
        "condomínio até 800",
        "de 2 a 3 quartos",
        "ap com 70 m2",
        "3500",
        "600",
        "até 2,5",
        "até as 18h",
        "a 500 metros do metrô",
        "ENTRE",  # found by tests/fuzz: "entre" ending the message read past the last word
        "o preço fica entre",
    ],
)
def test_parse_budget_ignores_numbers_that_are_not_a_budget(text: str) -> None:
    assert parse_budget(text) is None


def test_parse_budget_skips_down_payment_and_keeps_the_price() -> None:
    assert parse_budget("tenho 100 mil de entrada e posso ir até 600 mil") == Budget(
        maximum=600_000
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uns 600", Budget(maximum=600_000)),
        ("600", Budget(maximum=600_000)),
        ("3500", Budget(maximum=3_500)),
        ("1,2", Budget(maximum=1_200_000)),
        ("600 a 700", Budget(minimum=600_000, maximum=700_000)),
        ("uns 900 mil", Budget(maximum=900_000)),
    ],
)
def test_parse_budget_scales_bare_answers_when_money_is_expected(
    text: str, expected: Budget
) -> None:
    assert parse_budget(text, assume_money=True) == expected


def test_parse_budget_will_not_guess_a_single_digit_answer() -> None:
    assert parse_budget("uns 2", assume_money=True) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_250_000, "R$ 1.250.000"),
        (3500, "R$ 3.500"),
        (0, "R$ 0"),
        (999, "R$ 999"),
        (1250.5, "R$ 1.250,50"),
        (Decimal("1250.505"), "R$ 1.250,51"),
        (Decimal("700000.00"), "R$ 700.000"),
        (3500.0, "R$ 3.500"),
        (-1500, "-R$ 1.500"),
    ],
)
def test_format_brl_uses_brazilian_separators(value: int | float | Decimal, expected: str) -> None:
    assert format_brl(value) == expected
