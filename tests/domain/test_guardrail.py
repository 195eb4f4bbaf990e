"""check_reply: codes and money amounts in an LLM reply must come from the tools."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vellarys.domain.guardrail import check_reply, money_amounts

CODES = ["AP1234", "CA-0450"]
AMOUNTS = [650_000, 3_500, 780, 1_200_000, 4_523.17, 500_000, 700_000, 95]


def violations(text: str) -> list[str]:
    return check_reply(text, allowed_codes=CODES, allowed_amounts=AMOUNTS)


@pytest.mark.parametrize(
    "text",
    [
        "O AP1234 custa R$ 650.000. Quer agendar uma visita?",
        "Ele sai por R$650 mil, com 3 quartos e 2 vagas.",
        "Fica em 650 mil reais, aceita financiamento.",
        "O aluguel é R$ 3.500,00/mês + cond. R$ 780.",
        "Está anunciado por 1,2 milhão.",
        "O valor é R$ 1.2 mi.",
        "Um milhão e duzentos mil reais, negociável.",
        "Tenho opções entre R$ 500 e 700 mil no Batel.",
        "Tenho opções de 500 a 700 mil no Batel.",
        "A parcela estimada fica em R$ 4.523,17 no SAC.",
        "A parcela fica em torno de R$ 4,5 mil (é uma estimativa).",
        "Meio milhão de entrada já ajuda bastante!",
        "R$ 650 mil, ou seja, 650k.",
        "O código é ap1234, e também tem o CA 0450.",  # "CA 0450" is allowed as "CA-0450"
        "Juros de 11% ao ano ou 0,9 % ao mês, em 30 anos.",
        "São 3 quartos, 2 vagas, 120 m² no 8º andar.",
        "Tem 3 mil m² de área de lazer e mais de 2 mil imóveis na carteira.",
        "Nosso telefone é (41) 3333-4444, atendemos desde 2010.",
        "A taxa de visita é R$ 95.",
        "Moro no ap 302, em frente ao mercado.",  # an apartment number, not a listing code
        "Olá! Como posso ajudar?",
        "",
    ],
)
def test_grounded_replies_pass(text: str) -> None:
    assert violations(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O AP9999 é uma ótima opção!", ["unknown listing code AP9999"]),
        ("Veja o CA 7777 e o AP1234.", ["unknown listing code CA7777"]),
        ("Veja o código xy123.", ["unknown listing code XY123"]),
        ("Ele custa R$ 590.000.", ["unknown amount R$ 590.000"]),
        ("Custa R$590 mil.", ["unknown amount R$ 590.000"]),
        ("Sai por 590 mil reais.", ["unknown amount R$ 590.000"]),
        ("O aluguel é R$ 3.200,00.", ["unknown amount R$ 3.200"]),
        ("O condomínio é R$ 800.", ["unknown amount R$ 800"]),  # 2.6 % off R$ 780
        ("Está por 1,3 milhão.", ["unknown amount R$ 1.300.000"]),
        ("Está por R$ 2 milhões.", ["unknown amount R$ 2.000.000"]),
        ("A parcela fica em R$ 4.800,50.", ["unknown amount R$ 4.800,50"]),
        ("Entrada de 100k resolve.", ["unknown amount R$ 100.000"]),
        ("Tenho de R$ 400 a 700 mil.", ["unknown amount R$ 400.000"]),
        ("A taxa é de mil reais.", ["unknown amount R$ 1.000"]),
        ("Dois mil e quinhentos reais de ITBI.", ["unknown amount R$ 2.500"]),
        ("R$ 1 milhão e 300 mil", ["unknown amount R$ 1.300.000"]),
        (
            "O AP5555 custa R$ 610 mil.",
            ["unknown listing code AP5555", "unknown amount R$ 610.000"],
        ),
    ],
)
def test_ungrounded_replies_are_caught(text: str, expected: list[str]) -> None:
    assert violations(text) == expected


def test_one_percent_tolerance() -> None:
    def check(text: str) -> list[str]:
        return check_reply(text, allowed_codes=(), allowed_amounts=[650_000])

    assert check("R$ 656.500") == []  # +1 %
    assert check("R$ 643.500") == []  # -1 %
    assert check("R$ 657.000") != []
    assert check("R$ 643.000") != []


def test_nothing_allowed_means_no_codes_or_amounts() -> None:
    assert check_reply("Custa R$ 650 mil", allowed_codes=[], allowed_amounts=[]) == [
        "unknown amount R$ 650.000"
    ]
    assert check_reply("Tenho 3 opções em Curitiba!", allowed_codes=[], allowed_amounts=[]) == []


def test_allowed_codes_are_compared_loosely() -> None:
    assert check_reply("O AP-1234", allowed_codes=["ap 1234"], allowed_amounts=()) == []


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("R$ 650.000,00/mês + cond. R$780", [650_000, 780]),
        ("650k e 1,2 milhão de reais", [650_000, 1_200_000]),
        ("entre 2 e 3 mil reais", [2_000, 3_000]),
        ("2 mil e 500 reais", [2_500]),
        ("650 mil e 3 quartos", [650_000]),
        ("tem 2 e 3 mil m2", []),
        ("R$ 1.500 a 2 mil", [1_500, 2_000]),
        ("R$ 2,500.00", [2_500]),
    ],
)
def test_money_amounts(text: str, amounts: list[int]) -> None:
    assert money_amounts(text) == [Decimal(a) for a in amounts]


def test_amounts_without_currency_but_with_a_period_are_checked() -> None:
    assert check_reply("O aluguel fica 4.800 por mês.", allowed_codes=[], allowed_amounts=[])
    assert not check_reply(
        "O aluguel fica 4.800 por mês.", allowed_codes=[], allowed_amounts=[4800]
    )


def test_discounts_and_promises_are_refused() -> None:
    assert check_reply("Consigo 30% de desconto para você!", allowed_codes=[], allowed_amounts=[])
    assert check_reply("Garanto que o banco aprova.", allowed_codes=[], allowed_amounts=[])
    assert not check_reply("O banco analisa o crédito.", allowed_codes=[], allowed_amounts=[])


PROFILE = {"fgts_balance": 80_000, "monthly_income": 12_000, "budget_max": 700_000}


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Com seu FGTS de R$ 12 mil dá para começar.", "FGTS"),
        ("Sua renda de R$ 80 mil por mês já basta.", "renda"),
        ("Seu orçamento de R$ 650 mil cobre o AP1234.", "orçamento"),
        ("Com R$ 12 mil de entrada e FGTS de R$ 80 mil, financia o resto.", None),
        ("Com seu FGTS de R$ 80 mil e renda de R$ 12 mil, cabe.", None),
        ("Seu orçamento de R$ 700 mil cobre o AP1234 de R$ 650 mil.", None),
        ("A entrada mínima é de R$ 140 mil.", None),  # what is required, not what they have
    ],
)
def test_an_amount_given_in_the_leads_role_must_be_what_they_said(
    text: str, wrong: str | None
) -> None:
    from vellarys.domain.guardrail import role_mismatches

    found = role_mismatches(text, PROFILE)
    if wrong is None:
        assert found == []
    else:
        assert len(found) == 1 and wrong in found[0]
    assert role_mismatches(text, {}) == []  # nothing said in any role: nothing to contradict
