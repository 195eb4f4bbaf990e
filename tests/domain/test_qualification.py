from typing import Any

import pytest

from vellarys.domain.qualification import extract, merge, missing_slots

NEIGHBORHOODS = [
    "Pinheiros",
    "Vila Madalena",
    "Moema",
    "Vila Mariana",
    "Perdizes",
    "Tatuapé",
    "Santana",
    "Butantã",
    "Itaim Bibi",
    "Brooklin",
    "Mooca",
]
CITIES = ["São Paulo", "Santo André", "Osasco", "São Bernardo do Campo"]


def read(text: str, asked: str | None = None) -> dict[str, Any]:
    return extract(text, known_neighborhoods=NEIGHBORHOODS, known_cities=CITIES, asked=asked)


# (message, slot the assistant just asked about, exactly the slots expected)
MESSAGES: list[tuple[str, str | None, dict[str, Any]]] = [
    # --- first messages, several slots at once
    (
        "Oi, meu nome é João e quero comprar um apto de 2 quartos em Pinheiros até 700 mil",
        None,
        {
            "name": "João",
            "intent": "buy",
            "property_type": "apartment",
            "bedrooms": 2,
            "neighborhoods": ["Pinheiros"],
            "budget_max": 700_000,
        },
    ),
    (
        "sou a Maria, procuro ap pra alugar na vila madalena ate 4 mil por mes",
        None,
        {
            "name": "Maria",
            "intent": "rent",
            "property_type": "apartment",
            "neighborhoods": ["Vila Madalena"],
            "budget_max": 4_000,
        },
    ),
    ("2 quartos e 1 vaga até 700 mil", None, {"bedrooms": 2, "parking": 1, "budget_max": 700_000}),
    (
        "quero um ape 2 dorms 1 vaga perto do metrô em moema, tenho FGTS e vou financiar",
        None,
        {
            "property_type": "apartment",
            "bedrooms": 2,
            "parking": 1,
            "neighborhoods": ["Moema"],
            "payment": ["fgts", "financing"],
        },
    ),
    (
        "Boa tarde! Procuro casa pra comprar em Santo André, 3 dormitórios, 2 vagas, até 900 mil",
        None,
        {
            "intent": "buy",
            "property_type": "house",
            "city": "Santo André",
            "bedrooms": 3,
            "parking": 2,
            "budget_max": 900_000,
        },
    ),
    (
        "bom dia, to procurando apartamento pra alugar em Perdizes ou Pinheiros de 2 a 3 mil",
        None,
        {
            "intent": "rent",
            "property_type": "apartment",
            "neighborhoods": ["Perdizes", "Pinheiros"],
            "budget_min": 2_000,
            "budget_max": 3_000,
        },
    ),
    (
        "Quero investir em um studio perto da faria lima, até 450k, pagamento à vista",
        None,
        {"intent": "invest", "property_type": "studio", "budget_max": 450_000, "payment": ["cash"]},
    ),
    (
        "oi!! aqui é o Pedro, queria alugar uma kitnet no butanta, uns 1500 por mes",
        None,
        {
            "name": "Pedro",
            "intent": "rent",
            "property_type": "studio",
            "neighborhoods": ["Butantã"],
            "budget_max": 1_500,
        },
    ),
    (
        "Olá, estou procurando casa de condomínio em SBC, 4 suítes, acima de 1 milhão",
        None,
        {
            "property_type": "condo_house",
            "city": "São Bernardo do Campo",
            "bedrooms": 4,
            "budget_min": 1_000_000,
        },
    ),
    (
        "preciso de uma sala comercial em Osasco pra alugar, urgente",
        None,
        {"property_type": "commercial", "city": "Osasco", "intent": "rent", "timeline": "now"},
    ),
    (
        "tenho interesse em terreno em santo andre, entre 300 e 400 mil, à vista",
        None,
        {
            "property_type": "land",
            "city": "Santo André",
            "budget_min": 300_000,
            "budget_max": 400_000,
            "payment": ["cash"],
        },
    ),
    (
        "Me chamo Ana Paula, quero comprar apê no Tatuapé, 2 qts, uso FGTS + financiamento",
        None,
        {
            "name": "Ana Paula",
            "intent": "buy",
            "property_type": "apartment",
            "neighborhoods": ["Tatuapé"],
            "bedrooms": 2,
            "payment": ["fgts", "financing"],
        },
    ),
    (
        "quero comprar 3 quartos na mooca ou no tatuape ate 1,2 mi pra mudar em 6 meses",
        None,
        {
            "intent": "buy",
            "bedrooms": 3,
            "neighborhoods": ["Mooca", "Tatuapé"],
            "budget_max": 1_200_000,
            "timeline": "6_months",
        },
    ),
    (
        "Boa noite. Meu nome é Roberto Carlos da Silva, procuro apartamento em Moema",
        None,
        {
            "name": "Roberto Carlos da Silva",
            "property_type": "apartment",
            "neighborhoods": ["Moema"],
        },
    ),
    (
        "ap 2q em sp, aluguel max 3.500",
        None,
        {
            "property_type": "apartment",
            "bedrooms": 2,
            "city": "São Paulo",
            "intent": "rent",
            "budget_max": 3_500,
        },
    ),
    (
        "Quero uma casa com quintal pq tenho dois cachorros, pra alugar em Santana",
        None,
        {"property_type": "house", "pets": True, "intent": "rent", "neighborhoods": ["Santana"]},
    ),
    (
        "comprar apartamento vila mariana 2 dorm 1 vg ate 800mil financiado",
        None,
        {
            "intent": "buy",
            "property_type": "apartment",
            "neighborhoods": ["Vila Mariana"],
            "bedrooms": 2,
            "parking": 1,
            "budget_max": 800_000,
            "payment": ["financing"],
        },
    ),
    ("oi, vi o anúncio AP1234, ainda está disponível? meu número é 11 98765-4321", None, {}),
    (
        "tem apto de 3 dorm na santana com 2 vagas? até 650",
        None,
        {
            "property_type": "apartment",
            "bedrooms": 3,
            "neighborhoods": ["Santana"],
            "parking": 2,
            "budget_max": 650_000,
        },
    ),
    (
        "Preciso de um imóvel até R$ 600.000,00 para financiar pela Caixa com meu FGTS",
        None,
        {"budget_max": 600_000, "payment": ["financing", "fgts"]},
    ),
    (
        "aluguel de no máximo 2.500 reais, aceita gato?",
        None,
        {"intent": "rent", "budget_max": 2_500, "pets": True},
    ),
    (
        "Oi! Sou a Ana Clara, vi um ap de vcs no Itaim",
        None,
        {"name": "Ana Clara", "property_type": "apartment", "neighborhoods": ["Itaim Bibi"]},
    ),
    (
        "procuro um ap de 70m2 no maximo 550k",
        None,
        {"property_type": "apartment", "budget_max": 550_000},
    ),
    (
        "queria saber o valor do aluguel do ap 302",
        None,
        {"intent": "rent", "property_type": "apartment"},
    ),
    (
        "tenho 300 mil na mão, quero um ap a vista",
        None,
        {"budget_max": 300_000, "property_type": "apartment", "payment": ["cash"]},
    ),
    (
        "casa com 4 quartos e quintal grande pra cachorro",
        None,
        {"property_type": "house", "bedrooms": 4, "pets": True},
    ),
    (
        "vcs trabalham com permuta? tenho um terreno",
        None,
        {"payment": ["trade"], "property_type": "land"},
    ),
    ("quero um lugar pra morar com minha esposa e 2 filhos, 3 quartos", None, {"bedrooms": 3}),
    ("gostaria de agendar uma visita", None, {}),
    ("o ap tem 2 banheiros e fica no 5 andar?", None, {"property_type": "apartment"}),
    ("meu cpf é 123.456.789-00", None, {}),
    ("Tenho 2 filhos e um cachorro grande", None, {"pets": True}),
    ("moro de aluguel hoje e quero sair", None, {}),
    ("quero sair do aluguel", None, {"intent": "buy"}),
    ("Quanto custa o apartamento da rua Girassol 123?", None, {"property_type": "apartment"}),
    ("qual o valor do condominio e do iptu desse ap?", None, {"property_type": "apartment"}),
    ("Tenho interesse no imóvel código 4521", None, {}),
    ("Pode ser amanhã às 15h a visita?", None, {}),
    (
        "casa 3 dorm 2 vagas ate 850",
        None,
        {"property_type": "house", "bedrooms": 3, "parking": 2, "budget_max": 850_000},
    ),
    (
        "Sou o João Pedro, tô procurando casa em condomínio fechado em São Bernardo",
        None,
        {"name": "João Pedro", "property_type": "condo_house", "city": "São Bernardo do Campo"},
    ),
    (
        "Eu sou a Mariana, moro na Vila Mariana",
        None,
        {"name": "Mariana", "neighborhoods": ["Vila Mariana"]},
    ),
    ("nome: Lucas Andrade", None, {"name": "Lucas Andrade"}),
    ("oi", None, {}),
    ("Bom dia, tudo bem?", None, {}),
    ("Oi moça, tudo bem?", None, {}),
    ("obrigado!", None, {}),
    # --- intent
    ("quero comprar", None, {"intent": "buy"}),
    ("queria compra um imovel", None, {"intent": "buy"}),
    ("estou pensando em comprar meu primeiro imóvel", None, {"intent": "buy"}),
    ("vcs tem imoveis a venda?", None, {"intent": "buy"}),
    ("quero alugar", None, {"intent": "rent"}),
    ("procuro algo pra aluguel", None, {"intent": "rent"}),
    ("é para locação", None, {"intent": "rent"}),
    ("queria alugal um ap", None, {"intent": "rent", "property_type": "apartment"}),
    ("quero investir", None, {"intent": "invest"}),
    ("é pra investimento", None, {"intent": "invest"}),
    ("quero um imóvel pra renda", None, {"intent": "invest"}),
    (
        "quero comprar um ap pra alugar depois",
        None,
        {"intent": "invest", "property_type": "apartment"},
    ),
    ("não quero alugar, quero comprar", None, {"intent": "buy"}),
    ("pensei em alugar mas acho que vou comprar", None, {"intent": "buy"}),
    ("comprar ou alugar, ainda não decidi", None, {}),
    # --- property type
    ("apartamento", None, {"property_type": "apartment"}),
    ("um apto", None, {"property_type": "apartment"}),
    ("procuro um ap", None, {"property_type": "apartment"}),
    ("quero um apê", None, {"property_type": "apartment"}),
    ("APARTAMENTO", None, {"property_type": "apartment"}),
    ("apartamneto", None, {"property_type": "apartment"}),
    ("aparatamento", None, {"property_type": "apartment"}),
    ("uma cobertura", None, {"property_type": "apartment"}),
    ("casa", None, {"property_type": "house"}),
    ("um sobrado", None, {"property_type": "house"}),
    ("casa térrea", None, {"property_type": "house"}),
    ("casa de condomínio", None, {"property_type": "condo_house"}),
    ("casa em condominio fechado", None, {"property_type": "condo_house"}),
    ("sobrado em condomínio", None, {"property_type": "condo_house"}),
    ("kitnet", None, {"property_type": "studio"}),
    ("kit net", None, {"property_type": "studio"}),
    ("studio", None, {"property_type": "studio"}),
    ("um estúdio", None, {"property_type": "studio"}),
    ("quitinete", None, {"property_type": "studio"}),
    ("sala comercial", None, {"property_type": "commercial"}),
    ("uma loja", None, {"property_type": "commercial"}),
    ("ponto comercial", None, {"property_type": "commercial"}),
    ("galpão", None, {"property_type": "commercial"}),
    ("terreno", None, {"property_type": "land"}),
    ("um lote", None, {"property_type": "land"}),
    ("nao quero casa, quero ap", None, {"property_type": "apartment"}),
    (
        "quero vender minha casa e comprar um ap",
        None,
        {"intent": "buy", "property_type": "apartment"},
    ),
    ("hoje trabalho em casa, preciso de um escritório", None, {"property_type": "commercial"}),
    (
        "vi 3 imoveis no site de vcs, queria mais opcoes de casa pra comprar",
        None,
        {"intent": "buy", "property_type": "house"},
    ),
    ("tem algum tipo de casa com quintal?", None, {"property_type": "house"}),
    ("quero um ap perto de casa", None, {"property_type": "apartment"}),
    # --- location
    ("em Pinheiros", None, {"neighborhoods": ["Pinheiros"]}),
    ("pinheros", None, {"neighborhoods": ["Pinheiros"]}),
    ("PINHEIROS", None, {"neighborhoods": ["Pinheiros"]}),
    ("vila madalena", None, {"neighborhoods": ["Vila Madalena"]}),
    ("vl madalena", None, {"neighborhoods": ["Vila Madalena"]}),
    ("vila mariana ou vila madalena", None, {"neighborhoods": ["Vila Mariana", "Vila Madalena"]}),
    ("tatuape", None, {"neighborhoods": ["Tatuapé"]}),
    ("butanta", None, {"neighborhoods": ["Butantã"]}),
    ("no itaim", None, {"neighborhoods": ["Itaim Bibi"]}),
    ("itaim bibi", None, {"neighborhoods": ["Itaim Bibi"]}),
    ("brooklyn", None, {"neighborhoods": ["Brooklin"]}),
    ("perdises", None, {"neighborhoods": ["Perdizes"]}),
    ("moema ou mooca", None, {"neighborhoods": ["Moema", "Mooca"]}),
    ("vila madalenna", None, {"neighborhoods": ["Vila Madalena"]}),
    ("tatuápe", None, {"neighborhoods": ["Tatuapé"]}),
    ("moóca", None, {"neighborhoods": ["Mooca"]}),
    (
        "zona oeste, perto de Pinheiros, Perdizes ou Vila Madalena",
        None,
        {"neighborhoods": ["Pinheiros", "Perdizes", "Vila Madalena"]},
    ),
    ("são paulo", None, {"city": "São Paulo"}),
    ("sao paulo capital", None, {"city": "São Paulo"}),
    ("em SP", None, {"city": "São Paulo"}),
    ("sampa", None, {"city": "São Paulo"}),
    ("osasco", None, {"city": "Osasco"}),
    ("osaco", None, {"city": "Osasco"}),
    ("santo andré", None, {"city": "Santo André"}),
    ("sao bernardo", None, {"city": "São Bernardo do Campo"}),
    ("São Bernardo do Campo", None, {"city": "São Bernardo do Campo"}),
    ("moro em Osasco mas quero em São Paulo", None, {"city": "São Paulo"}),
    ("Pinheiros, SP", None, {"neighborhoods": ["Pinheiros"], "city": "São Paulo"}),
    ("Vila Maria", None, {}),
    ("Campinas", None, {}),
    # --- budget
    ("até 700 mil", None, {"budget_max": 700_000}),
    ("uns 700 mil", None, {"budget_max": 700_000}),
    ("orçamento de 1,5 milhão", None, {"budget_max": 1_500_000}),
    ("meu orçamento vai até uns 800", None, {"budget_max": 800_000}),
    ("o limite é 1,5mi", None, {"budget_max": 1_500_000}),
    ("posso pagar até R$ 2.800 de aluguel", None, {"budget_max": 2_800, "intent": "rent"}),
    ("acima de 1 milhão", None, {"budget_min": 1_000_000}),
    ("entre 500 e 600 mil", None, {"budget_min": 500_000, "budget_max": 600_000}),
    ("no máximo 900 mil", None, {"budget_max": 900_000}),
    (
        "tenho 150 mil de entrada e o resto financio, até 650 mil",
        None,
        {"budget_max": 650_000, "payment": ["financing"], "down_payment": 150_000},
    ),
    ("minha renda é de 15 mil", None, {"monthly_income": 15_000}),
    ("o condomínio tem que ser até 800", None, {}),
    # --- bedrooms
    ("2 quartos", None, {"bedrooms": 2}),
    ("dois quartos", None, {"bedrooms": 2}),
    ("3 dorms", None, {"bedrooms": 3}),
    ("três dormitórios", None, {"bedrooms": 3}),
    ("2 ou 3 quartos", None, {"bedrooms": 2}),
    ("2/3 qts", None, {"bedrooms": 2}),
    ("3 quartos sendo 1 suíte", None, {"bedrooms": 3}),
    ("2 suítes", None, {"bedrooms": 2}),
    ("4 quartoz", None, {"bedrooms": 4}),
    ("1 qto", None, {"bedrooms": 1}),
    ("quarto e sala", None, {"bedrooms": 1}),
    ("pelo menos 2 quartos", None, {"bedrooms": 2}),
    # --- parking
    ("1 vaga", None, {"parking": 1}),
    ("duas vagas", None, {"parking": 2}),
    ("2 vagas de garagem", None, {"parking": 2}),
    ("sem vaga", None, {"parking": 0}),
    ("não preciso de garagem", None, {"parking": 0}),
    ("com garagem", None, {"parking": 1}),
    ("precisa ter vaga", None, {"parking": 1}),
    # --- timeline
    ("pra já", None, {"timeline": "now"}),
    ("é urgente", None, {"timeline": "now"}),
    ("preciso mudar este mês", None, {"timeline": "now"}),
    ("o quanto antes", None, {"timeline": "now"}),
    ("em 3 meses", None, {"timeline": "3_months"}),
    ("daqui a 2 meses", None, {"timeline": "3_months"}),
    ("mês que vem", None, {"timeline": "3_months"}),
    ("até março", None, {"timeline": "3_months"}),
    ("no segundo semestre", None, {"timeline": "6_months"}),
    ("em 6 meses", None, {"timeline": "6_months"}),
    ("lá pro fim do ano", None, {"timeline": "6_months"}),
    ("ano que vem", None, {"timeline": "12_months"}),
    ("em um ano", None, {"timeline": "12_months"}),
    ("daqui uns 2 anos", None, {"timeline": "browsing"}),
    ("to só olhando", None, {"timeline": "browsing"}),
    ("só pesquisando por enquanto", None, {"timeline": "browsing"}),
    ("sem pressa", None, {"timeline": "browsing"}),
    ("não tenho pressa nenhuma", None, {"timeline": "browsing"}),
    ("o contrato atual é de 2 anos", None, {}),
    # --- payment
    ("vou financiar", None, {"payment": ["financing"]}),
    ("financiamento pela caixa", None, {"payment": ["financing"]}),
    ("à vista", None, {"payment": ["cash"]}),
    ("pagamento a vista", None, {"payment": ["cash"]}),
    ("ap com vista pro mar", None, {"property_type": "apartment"}),
    ("tenho FGTS", None, {"payment": ["fgts"]}),
    ("consórcio contemplado", None, {"payment": ["consortium"]}),
    ("aceitam permuta?", None, {"payment": ["trade"]}),
    ("quero dar meu apartamento como parte do pagamento", None, {"payment": ["trade"]}),
    ("não vou financiar, é à vista", None, {"payment": ["cash"]}),
    ("sem financiamento", None, {"payment": ["cash"]}),
    ("fgts e financiamento", None, {"payment": ["fgts", "financing"]}),
    ("nao tenho fiador, tem outra opcao?", None, {"intent": "rent"}),
    (
        "vou financiar e usar o FGTS, tenho 80 mil de fundo de garantia",
        None,
        {"payment": ["financing", "fgts"], "fgts_balance": 80_000},
    ),
    ("uns 45 mil no fundo de garantia", None, {"payment": ["fgts"], "fgts_balance": 45_000}),
    # --- pets
    ("tenho um cachorro", None, {"pets": True}),
    ("aceita pet?", None, {"pets": True}),
    ("tenho 2 gatos", None, {"pets": True}),
    ("meu doguinho vai junto", None, {"pets": True}),
    ("não tenho pets", None, {"pets": False}),
    ("sem animais", None, {"pets": False}),
    ("não tenho um cachorro", None, {"pets": False}),
    # --- wants a person
    ("quero falar com um corretor", None, {"wants_human": True}),
    ("posso falar com uma pessoa?", None, {"wants_human": True}),
    ("me passa pra um atendente", None, {"wants_human": True}),
    ("quero falar com humano", None, {"wants_human": True}),
    ("pode me ligar?", None, {"wants_human": True}),
    ("não precisa falar com corretor ainda", None, {}),
    # --- names and emails
    ("meu nome é joão", None, {"name": "João"}),
    ("me chamo Fernanda", None, {"name": "Fernanda"}),
    ("sou a Maria", None, {"name": "Maria"}),
    ("aqui é o Pedro", None, {"name": "Pedro"}),
    ("Oi, sou Carlos", None, {"name": "Carlos"}),
    ("pode me chamar de Bia", None, {"name": "Bia"}),
    ("sou de São Paulo", None, {"city": "São Paulo"}),
    ("sou casado e tenho 2 filhos", None, {}),
    ("sou investidor", None, {"intent": "invest"}),
    ("meu email é Joao.Silva@Gmail.com", None, {"email": "joao.silva@gmail.com"}),
    ("carla.souza+imoveis@empresa.com.br", None, {"email": "carla.souza+imoveis@empresa.com.br"}),
    # --- bare answers to the question just asked
    ("Carlos", "name", {"name": "Carlos"}),
    ("carlos silva", "name", {"name": "Carlos Silva"}),
    ("é o Rafael", "name", {"name": "Rafael"}),
    ("Juliana, e você?", "name", {"name": "Juliana"}),
    ("Marcos aqui", "name", {"name": "Marcos"}),
    ("prefiro não dizer", "name", {}),
    ("Pinheiros", "name", {"neighborhoods": ["Pinheiros"]}),
    ("sim", "name", {}),
    ("rio de janeiro", "city", {"city": "Rio de Janeiro"}),
    ("tanto faz", "city", {}),
    ("quero ver os imóveis primeiro", "name", {}),
    ("3", "bedrooms", {"bedrooms": 3}),
    ("tres", "bedrooms", {"bedrooms": 3}),
    ("2 ou 3", "bedrooms", {"bedrooms": 2}),
    ("pelo menos 2", "bedrooms", {"bedrooms": 2}),
    ("3 e 2 vagas", "bedrooms", {"bedrooms": 3, "parking": 2}),
    ("2", "parking", {"parking": 2}),
    ("nenhuma", "parking", {"parking": 0}),
    ("não", "parking", {"parking": 0}),
    ("sim", "pets", {"pets": True}),
    ("não", "pets", {"pets": False}),
    ("uns 600", "budget_max", {"budget_max": 600_000}),
    ("600", "budget_max", {"budget_max": 600_000}),
    ("3500", "budget_max", {"budget_max": 3_500}),
    ("1,2", "budget_max", {"budget_max": 1_200_000}),
    ("600 a 700", "budget_max", {"budget_min": 600_000, "budget_max": 700_000}),
    ("uns 500", "budget_min", {"budget_min": 500_000}),
    ("3 quartos e uns 600", "budget_max", {"bedrooms": 3, "budget_max": 600_000}),
    ("Campinas", "city", {"city": "Campinas"}),
    ("Pinheiros", "city", {"neighborhoods": ["Pinheiros"]}),
    ("em 3 meses", "timeline", {"timeline": "3_months"}),
    ("3 meses", "timeline", {"timeline": "3_months"}),
    ("já", "timeline", {"timeline": "now"}),
    ("600", "bedrooms", {}),
    ("3", None, {}),
]


@pytest.mark.parametrize(("text", "asked", "expected"), MESSAGES)
def test_extract_reads_exactly_the_slots_a_whatsapp_message_states(
    text: str, asked: str | None, expected: dict[str, Any]
) -> None:
    assert read(text, asked) == expected


def test_extract_dates_a_month_from_today_when_given() -> None:
    from datetime import date

    assert extract("até dezembro", today=date(2026, 3, 10)) == {"timeline": "12_months"}
    assert extract("até abril", today=date(2026, 3, 10)) == {"timeline": "now"}


def test_extract_without_known_places_finds_no_location() -> None:
    assert extract("apartamento em Pinheiros, São Paulo") == {"property_type": "apartment"}


# Two messages in a row: the second corrects or completes the first.
CONVERSATIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "quero alugar um ap",
        "na verdade quero comprar",
        {"intent": "buy", "property_type": "apartment"},
    ),
    ("até 700 mil", "pode ser até 800 mil", {"budget_max": 800_000}),
    ("em Pinheiros", "ou Perdizes também", {"neighborhoods": ["Pinheiros", "Perdizes"]}),
    ("Pinheiros ou Moema", "Moema e Mooca", {"neighborhoods": ["Pinheiros", "Moema", "Mooca"]}),
    ("vou financiar", "e usar o FGTS", {"payment": ["financing", "fgts"]}),
    ("2 quartos", "melhor 3 quartos", {"bedrooms": 3}),
    ("até 500 mil", "acima de 600 mil", {"budget_min": 600_000}),
    ("acima de 600 mil", "até 500 mil", {"budget_max": 500_000}),
    (
        "sou a Maria",
        "casa em Santana",
        {"name": "Maria", "property_type": "house", "neighborhoods": ["Santana"]},
    ),
    ("pesquisando", "pensando bem, é urgente", {"timeline": "now"}),
]


@pytest.mark.parametrize(("first", "second", "expected"), CONVERSATIONS)
def test_merge_lets_a_later_message_correct_or_extend_an_earlier_one(
    first: str, second: str, expected: dict[str, Any]
) -> None:
    assert merge(read(first), read(second)) == expected


def test_merge_does_not_modify_the_stored_profile() -> None:
    profile = {"neighborhoods": ["Moema"]}
    merge(profile, {"neighborhoods": ["Mooca"]})
    assert profile == {"neighborhoods": ["Moema"]}


def test_missing_slots_starts_with_the_name_and_follows_the_sales_script() -> None:
    assert missing_slots({}) == [
        "name",
        "intent",
        "property_type",
        "city",
        "neighborhoods",
        "budget_max",
        "bedrooms",
        "timeline",
        "payment",
    ]


def test_missing_slots_is_empty_for_a_complete_buyer() -> None:
    profile = {
        "name": "Ana",
        "intent": "buy",
        "property_type": "apartment",
        "city": "São Paulo",
        "neighborhoods": ["Moema"],
        "budget_max": 900_000,
        "bedrooms": 2,
        "timeline": "now",
        "payment": ["cash"],
    }
    assert missing_slots(profile) == []


def test_missing_slots_takes_a_neighborhood_as_the_location() -> None:
    assert "city" not in missing_slots({"neighborhoods": ["Moema"]})


def test_missing_slots_accepts_a_minimum_budget() -> None:
    assert "budget_max" not in missing_slots({"budget_min": 1_000_000})


def test_missing_slots_skips_payment_for_renters() -> None:
    assert "payment" not in missing_slots({"intent": "rent"})


def test_missing_slots_skips_bedrooms_for_land_and_commercial() -> None:
    assert "bedrooms" not in missing_slots({"property_type": "land"})
    assert "bedrooms" not in missing_slots({"property_type": "commercial"})


def test_owners_and_current_clients_are_not_asked_a_buyers_questions() -> None:
    assert missing_slots({"intent": "support"}) == ["name"]
    assert missing_slots({"intent": "sell", "name": "Ana"}) == [
        "property_type",
        "city",
        "neighborhoods",
    ]


def test_a_studio_is_not_asked_how_many_bedrooms() -> None:
    assert "bedrooms" not in missing_slots({"intent": "rent", "property_type": "studio"})
    assert "bedrooms" in missing_slots({"intent": "rent", "property_type": "apartment"})


def test_an_offer_for_a_listing_is_recorded_as_the_offer_never_the_budget() -> None:
    offer = extract("quero fazer uma proposta de 850 mil no AP1107")
    assert offer.get("offer_amount") == 850_000 and "budget_max" not in offer
    assert extract("ofereço 800 mil à vista")["offer_amount"] == 800_000
    assert extract("quero comprar até 850 mil")["budget_max"] == 850_000
