"""Words leads use for each qualification slot, matched against folded text (no accents, lowercase).

Kept apart from the parsing code so that adding slang is a one-line change here.
"""

import re

from vellarys.domain.text import word_set


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


INTENT = {
    "invest": _words(
        r"invest\w*",
        r"pr?a renda",
        r"para renda",
        r"renda passiva",
        r"rentabilidade",
        r"compr\w* .{0,40}\bpr?a(?:ra)? (?:alugar|locar|revender)",
    ),
    "rent": _words(
        # "moro de aluguel" is where they live now, not what they want.
        r"(?<!moro de )(?<!sair do )(?<!pago )(?<!pagar )(?<!pagando )alug\w*",
        r"locacao",
        r"locar",
        r"loca-?lo",
        r"inquilin\w*",
        r"arrendar",
    ),
    "buy": _words(
        r"compr(?:ar|o|a|ando|aria|amos|e)",
        r"adquirir",
        r"aquisicao",
        r"a venda",
        r"pr?a venda",
        r"casa propria",
        r"imovel proprio",
        r"sair do aluguel",
    ),
}

# Checked in this order; the first affirmed match wins, so specific phrases come first.
PROPERTY_TYPES = (
    (
        "condo_house",
        _words(
            r"(?:casa|casas|sobrado|sobrados) (?:de|em|no|num|dentro de|dentro do) condominio\w*",
            r"casas? (?:de |em )?condo",
            r"condominio fechado",
            r"casa condominio",
        ),
    ),
    (
        "commercial",
        _words(
            r"salas? comerci\w*",
            r"lojas?",
            r"ponto comercial",
            r"pontos comerciais",
            r"imove(?:l|is) comerci\w*",
            r"espaco comercial",
            r"galpa(?:o|oes)",
            r"escritorio\w*",
            r"consultorio",
            r"predio comercial",
            r"sala pra escritorio",
        ),
    ),
    ("land", _words(r"terrenos?", r"lotes?", r"loteamento", r"chao pra construir")),
    (
        "studio",
        _words(
            r"kit ?nets?",
            r"kitinete\w*",
            r"quitinete\w*",
            r"quitnete\w*",
            r"kitchenette\w*",
            r"studios?",
            r"estudios?",
            r"lofts?",
            r"flats?",
        ),
    ),
    (
        "apartment",
        _words(
            r"aps?",
            r"aptos?",
            r"apes?",
            r"apart",
            r"apartamentos?",
            r"apartamentinho",
            r"cobertura",
            r"duplex",
            r"garden",
            r"predio",
        ),
    ),
    (
        "house",
        _words(
            r"casas?",
            r"casinha",
            r"sobrados?",
            r"terrea",
            r"residencia",
        ),
    ),
)
# Typos of long type words; short words ("ap", "casa") must match exactly.
TYPE_TYPOS = {"apartamento": "apartment", "apartamentos": "apartment", "sobrado": "house"}
# "minha casa" is what they own, not what they look for.
POSSESSIVES = frozenset({"minha", "meu", "nossa", "nosso", "sua", "seu"})
HOUSE_IDIOMS = frozenset({"em", "da", "do", "de"})  # "estou em casa", "perto da casa"
# "opções de casa", "tipo de casa": after these nouns "de casa" names what the lead wants.
KIND_NOUNS = word_set(
    "opcoes opcao tipo tipos anuncio anuncios modelo modelos estilo sugestoes sugestao"
    " alternativas imoveis imovel fotos algo"
)

BEDROOM_WORDS = word_set(
    "quartos quarto qts qt qto qtos q dorms dorm dormitorios dormitorio dormis suites suite"
    " quartinhos"
)
BEDROOM_TYPOS = ("quartos", "dormitorios", "suites")
PARKING_WORDS = frozenset({"vaga", "vagas", "garagem", "garagens", "vg", "vgs"})
NO_PARKING = _words(
    r"sem (?:vaga|vagas|garagem)",
    r"nao (?:preciso|precisa) (?:de )?(?:vaga|garagem)",
    r"nao tenho carro",
    r"vaga nao (?:precisa|e necessario)",
    r"nenhuma vaga",
)
SOME_PARKING = _words(r"com (?:vaga|garagem)", r"(?:tenha|tem|precis[oa] de|ter) (?:vaga|garagem)")
ONE_BEDROOM = _words(r"quarto e sala")

# Checked in this order: "fim do ano que vem" is next year, "urgente" beats everything.
TIMELINE = (
    (
        "now",
        _words(
            r"pr?a ja",
            r"para ja",
            r"urgente\w*",
            r"urgencia",
            r"imediat\w*",
            r"(?:este|esse|neste|nesse) mes",
            r"(?:esta|essa|nesta|nessa) semana",
            r"semana que vem",
            r"proxima semana",
            r"(?:o )?quanto antes",
            r"o mais rapido",
            r"mais rapido possivel",
            r"o mais breve",
            r"agora mesmo",
            r"pr?a agora",
            r"para agora",
            r"pr?a ontem",
            r"ja ja",
        ),
    ),
    (
        "12_months",
        _words(
            r"ano que vem",
            r"proximo ano",
            r"longo prazo",
        ),
    ),
    (
        "6_months",
        _words(
            r"segundo semestre",
            r"proximo semestre",
            r"fim do ano",
            r"final do ano",
            r"meio do ano",
            r"fim de ano",
            r"medio prazo",
            r"meio ano",
        ),
    ),
    (
        "3_months",
        _words(
            r"mes que vem",
            r"proximo mes",
            r"proximos meses",
            r"poucos meses",
            r"curto prazo",
        ),
    ),
    (
        "browsing",
        _words(
            r"so olhando",
            r"so pesquisando",
            r"pesquisando",
            r"so vendo",
            r"dando uma olhada",
            r"sem pressa",
            r"nao tenho pressa",
            r"nenhuma pressa",
            r"sem previsao",
            r"nao tenho previsao",
            r"curiosidade",
            r"ainda nao sei quando",
            r"futuramente",
            r"mais pr?a frente",
            r"nao tenho data",
            r"sem data",
            r"so conhecendo",
        ),
    ),
)
MONTHS = {
    "janeiro": 1,
    "fevereiro": 2,
    "marco": 3,
    "abril": 4,
    "maio": 5,
    "junho": 6,
    "julho": 7,
    "agosto": 8,
    "setembro": 9,
    "outubro": 10,
    "novembro": 11,
    "dezembro": 12,
}
MONTH_PHRASE = re.compile(
    r"\b(?:ate|em|pr?a|para|antes de|no maximo em) (" + "|".join(MONTHS) + r")\b"
)
TIME_UNITS = {
    "dia": 0,
    "dias": 0,
    "semana": 0,
    "semanas": 0,
    "mes": 1,
    "meses": 1,
    "ano": 12,
    "anos": 12,
}
TIME_PREFIXES = word_set(
    "em daqui dentro ate uns umas proximos prazo previsao aproximadamente cerca volta"
)

PAYMENT = {
    "financing": _words(
        r"financ(?:iar|iamento|iamentos|iado|iada|io|iando|iavel|iaria)",
        r"pelo banco",
        r"credito imobiliario",
        r"minha casa minha vida",
        r"mcmv",
        r"casa verde e amarela",
    ),
    "fgts": _words(r"fgts", r"fundo de garantia"),
    "cash": _words(
        r"a vista(?! (?:pr?[ao]|para|do|da|de|bonita|linda|incrivel|mar|panoramica))",
        r"avista",
        r"dinheiro vivo",
        r"em especie",
        r"tenho o (?:dinheiro|valor)",
        r"cash",
        r"recursos? proprios?",
        r"sem financiamento",
    ),
    "consortium": _words(
        r"consorcio\w*",
        r"carta de credito",
        r"carta contemplada",
        r"contemplad\w*",
    ),
    "trade": _words(
        r"permut\w*",
        r"como parte (?:do|de) pagamento",
        r"como parte",
        r"dar (?:o |a )?(?:meu|minha) (?:imovel|ap|apto|apartamento|casa|carro|terreno)",
        r"na troca",
        r"troca por",
        r"trocar (?:o |a )?(?:meu|minha)",
    ),
}

_PET = (
    r"(?:cachorr\w*|caes|cao|gat[oa]s?|gatinh\w*|pets?|animais|animal|bichinh\w*|bichos?"
    r"|dogs?|doguinho)"
)
NO_PETS = _words(
    r"(?:nao tenho|nao temos|sem) (?:nenhum |nenhuma |um |uma )?" + _PET,
)
PETS = _words(
    r"(?:tenho|temos|com|tem) (?:um |uma |dois |duas |tres |\d+ )?" + _PET,
    r"aceit\w* " + _PET,
    r"(?:meu|minha|meus|minhas) " + _PET,
    r"pet friendly",
    r"(?:pr?a|para) (?:o |a |os |as |meu |minha |meus |minhas )?" + _PET,
    r"(?:um|uma|dois|duas|tres|\d+) " + _PET,
)
WANTS_HUMAN = _words(
    r"(?:falar|conversar|atendimento|contato|falar direto) (?:com )?"
    r"(?:um |uma |o |a |algum |alguma )?"
    r"(?:corretor\w*|atendente|pessoa|humano|alguem|vendedor\w*|gente|consultor\w*|responsavel|gerente)",
    r"atendente",
    r"humano",
    r"pessoa de verdade",
    r"pessoa real",
    r"ser humano",
    r"me lig(?:a|ue|uem)",
    r"pode me ligar",
    r"liga pr?a mim",
    r"quero (?:um|o) corretor",
    r"chama (?:o|um) corretor",
    r"passa pr?a (?:um|o) corretor",
    r"nao quero falar com robo",
)

# Words after "sou" or in a bare reply that are not a name ("sou de Osasco", "sou casado").
NOT_NAMES = word_set(
    """
    a o e de do da dos das em no na um uma eu ele ela aqui sim nao ok oi ola bom boa dia tarde
    noite tudo bem obrigado obrigada valeu quero gostaria procuro estou to tou ta com sem pra
    para casado casada solteiro solteira investidor investidora corretor corretora cliente
    interessado interessada aposentado aposentada medico medica engenheiro engenheira advogado
    advogada professor professora novo nova daqui dai pai mae que qual quanto prefiro tenho
    alugar comprar apartamento casa ap apto kitnet terreno quartos quarto vaga talvez nada bot
    robo humano pessoa atendente muito muita pouco so apenas mais menos estudante autonomo
    autonoma empresario empresaria vendedor vendedora legal show beleza certo claro isso
    proprietario proprietaria dono dona responsavel filho filha marido esposa mesmo mesma
    unico unica primeiro primeira favor tipo morador moradora inquilino inquilina qualquer
    tanto faz indiferente prazer poxa nossa caramba eita opa entao tipo gente cara mano vixe
    uai oxe putz top massa otimo otima perfeito perfeita blz valeu vlw tranquilo tranquila
    demais pois enfim bora vamos olha ola oie oii hum humm ah eh ne pronto beleza ufa
    comprando alugando vendendo procurando querendo buscando precisando morando
    """
)
NAME_PARTICLES = frozenset({"da", "de", "do", "das", "dos", "e"})
CITY_ALIASES = {
    "sp": "sao paulo",
    "sampa": "sao paulo",
    "rj": "rio de janeiro",
    "bh": "belo horizonte",
    "poa": "porto alegre",
    "sbc": "sao bernardo do campo",
    "sjc": "sao jose dos campos",
    "floripa": "florianopolis",
    "bsb": "brasilia",
    "cwb": "curitiba",
}
YES = word_set("sim s ss aham uhum claro tenho temos isso yes positivo")
NO = frozenset({"nao", "n", "nenhum", "nenhuma", "negativo", "nope", "no"})
