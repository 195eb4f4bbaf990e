"""The scripted conversations: how São Paulo leads write on WhatsApp, and what a broker expects.

Written by the team for the demo agency (Casa Paulista Imóveis); regexes are matched on folded
text (lowercase, no accents). ``at`` defaults to a Wednesday afternoon, inside business hours.
"""

from __future__ import annotations

from bench.conversation_scripts.player import Script, Turn

SATURDAY_NIGHT = "2026-11-28T23:40:00-03:00"
FRIDAY_NIGHT = "2026-11-27T20:30:00-03:00"
# A Wednesday afternoon played with the agency's published hours (9h-18h), not always open.
WEDNESDAY_WITH_HOURS = "2026-11-25T15:00:00-03:00"

SCRIPTS: tuple[Script, ...] = (
    Script(
        "comprador financiando com FGTS",
        "formal, several turns",
        (
            Turn("Oi, boa tarde!"),
            Turn("Quero comprar um apartamento de 2 quartos na Vila Mariana"),
            Turn("até 700 mil"),
            Turn("vou financiar e usar o FGTS, tenho 80 mil de fundo de garantia"),
            # The parking question was passed over once: it is not asked again.
            # R$ 80 mil of FGTS is under 20 % of R$ 640 mil: the R$ 48 mil gap is said plainly.
            Turn(
                "quanto fica a parcela do AP1501?",
                says=(r"price", r"80\.000", r"faltam \*r\$ 48\.000\*", r"financiando r\$ 512\.000"),
                never=(r"vaga", r"talvez"),
            ),
        ),
        profile={
            "intent": "buy",
            "property_type": "apartment",
            "bedrooms": 2,
            "budget_max": 700_000,
            "fgts_balance": 80_000,
            "neighborhoods": ["Vila Mariana"],
        },
    ),
    Script(
        "inquilina com cachorro",
        "casual",
        (
            # "aceita pets" says nothing of a big dog's size: said, not ignored.
            Turn(
                "Olá, to procurando ap pra alugar em Pinheiros, tenho um cachorro grande",
                says=(r"cachorro grande: .*nao informa o porte",),
            ),
            # R$ 5.200 + cond. R$ 980 is over "até 6 mil": said with its figures, never "fits".
            Turn(
                "até 6 mil por mês",
                says=(r"aluguel \+ condominio da r\$ 6\.180",),
                never=(r"dentro do que voce procura",),
            ),
        ),
        profile={"intent": "rent", "pets": True, "budget_max": 6000},
        listings={"transaction": "rent", "pets": True},
    ),
    Script(
        "aluguel com condomínio incluso",
        "abbreviations",
        (
            Turn("quero alugar apto 2 qts na Mooca"),
            Turn("pago no max 3 mil com condominio"),
        ),
        profile={"intent": "rent", "bedrooms": 2, "rent_includes_fees": True, "budget_max": 3000},
    ),
    Script(
        "ITBI do imóvel, não do exemplo",
        "direct question",
        (
            Turn("quero comprar, vi o AP1107 no site"),
            Turn("quanto fica o ITBI dele?", says=(r"26\.850",), never=(r"18\.000", r"600 mil")),
        ),
        profile={"intent": "buy"},
    ),
    Script(
        "custos de cartório à vista",
        "typos",
        (
            Turn(
                "qto custa escritura e registro pra comprar o AP1501 a vista?",
                says=(r"escritura", r"registro", r"19\.200"),
                never=(r"25\.800",),
            ),
        ),
    ),
    Script(
        "quanto consigo financiar com minha renda",
        "one long message",
        (
            Turn(
                "quero comprar um ap, ganho 12 mil por mes, consigo financiar ate quanto?",
                # The first SAC instalment is what banks cap: about R$ 313 mil, not 394.
                says=(r"3\.600", r"30%", r"313 mil"),
            ),
        ),
        profile={"intent": "buy", "monthly_income": 12_000},
    ),
    Script(
        "parcela de 400 mil com 80 mil de FGTS",
        "numbers",
        (
            Turn("quero comprar um apto de 400 mil, tenho 80 mil de fgts"),
            Turn("qual seria a parcela?", says=(r"2\.922", r"320\.000")),
        ),
        profile={"intent": "buy", "budget_max": 400_000, "fgts_balance": 80_000},
    ),
    Script(
        "pet e IPTU de um anúncio",
        "several questions",
        (
            Turn(
                "o AP1402 aceita pet? e qual o iptu?",
                # The monthly total has the IPTU in it (rent + condomínio + R$ 217).
                says=(r"aceita pets", r"2\.600 por ano", r"iptu, da cerca de r\$ 6\.967 por mes"),
                never=(r"comprar ou (?:para )?alugar\?",),  # a rental listing: a renter
            ),
        ),
        profile={"intent": "rent"},
    ),
    Script(
        "um por andar",
        "short",
        (Turn("o AP1403 é um por andar?", says=(r"um por andar",)),),
    ),
    Script(
        "quer alugar, pergunta de imóvel à venda",
        "change of listing",
        (
            Turn("oi, quero alugar um apartamento em Pinheiros"),
            Turn("e o AP1107, qual o condominio?", says=(r"920", r"venda")),
        ),
        profile={"intent": "rent"},
    ),
    Script(
        "proprietário que quer vender",
        "owner",
        (
            Turn(
                "boa tarde, quero vender meu apartamento na mooca",
                never=(r"alugar\?", r"bairro"),  # the bairro was just said
            ),
            Turn("Rua da Mooca, 1200, apto 54", never=(r"alugar\?",)),
            Turn("uns 600 mil"),
            Turn("ja esta quitado"),
            Turn("nao tenho exclusividade com ninguem"),
        ),
        profile={"intent": "sell", "expected_price": 600_000},
        handoff=True,
        handoff_to="Renata",
        listings={"none": True},
    ),
    Script(
        "proprietário que quer alugar a casa",
        "owner, casual",
        (
            Turn("tenho uma casa no butanta e quero colocar pra alugar, vcs administram?"),
            Turn("Rua Camargo, 300"),
        ),
        profile={"intent": "rent_out"},
        listings={"none": True},
    ),
    Script(
        "inquilino com vazamento",
        "complaint",
        (
            Turn(
                "sou inquilino de vcs e deu um vazamento no banheiro, ninguem resolve",
                says=(r"sinto muito",),
                never=(r"codigo:",),
            ),
        ),
        profile={"intent": "support"},
        handoff=True,
        listings={"none": True},
    ),
    Script(
        "você é robô?",
        "suspicious",
        (Turn("vc é robô?", says=(r"robo|assistente virtual",), never=(r"iptu",)),),
    ),
    Script(
        "fora da área atendida",
        "out of area",
        (Turn("procuro casa pra comprar em Curitiba", says=(r"atendemos",)),),
        listings={"none": True},
    ),
    Script(
        "crédito aprovado, quer fechar",
        "hot buyer",
        (Turn("oi, meu credito foi aprovado e quero fechar o AP1601", says=(r"corretor",)),),
        profile={"intent": "buy"},
        handoff=True,
        temperature="hot",
    ),
    Script(
        "pedido de visita",
        "hot buyer",
        (
            Turn("quero comprar ap em Moema"),
            # The visit is booked first: slots on Saturday, then the lead picks one.
            Turn(
                "posso visitar o AP1406 no sabado?",
                says=(r"sabado \(28/11\) as 9h", r"qual fica melhor"),
            ),
            # Booked without the lead's name: the one question is the visitor's name.
            Turn(
                "pode ser o primeiro",
                says=(
                    r"visita marcada",
                    r"sabado \(28/11\) as 9h",
                    r"qual e o seu nome completo\?$",
                ),
            ),
        ),
        handoff=True,
        temperature="hot",
        stage="handed_off",
    ),
    Script(
        "pede a corretora pelo nome",
        "named staff",
        (Turn("quero falar com a Juliana por favor", says=(r"em ate 15 minutos",)),),
        handoff=True,
        handoff_to="Juliana",
    ),
    Script(
        "visita num sábado à noite",
        "after hours",
        (
            # Booked for the opening hours, with no promise of an answer "em breve".
            Turn(
                "quero agendar uma visita no AP1501",
                says=(r"segunda \(30/11\) as 9h", r"qual fica melhor"),
                never=(r"em breve",),
            ),
            Turn(
                "pode ser o primeiro",
                says=(r"visita marcada", r"segunda \(30/11\) as 9h"),
                never=(r"em breve",),
            ),
        ),
        handoff=True,
        at=SATURDAY_NIGHT,
    ),
    Script(
        "proposta numa sexta à noite",
        "after hours, offer",
        (
            Turn(
                "quero fazer uma proposta de 850 mil no AP1107",
                says=(r"amanha as 9h",),
                never=(r"\bagora\b", r"em breve"),
            ),
        ),
        handoff=True,
        temperature="hot",
        at=FRIDAY_NIGHT,
    ),
    Script(
        "abreviações",
        "abbreviations",
        # Vila Madalena, Tatuapé and Santana are not "próximas" of Vila Mariana: far zones are
        # named, and the R$ 4.200 + R$ 850 Vila Madalena card is not shown while others fit.
        (
            Turn(
                "oi qro alugar ap 2 qts na vl mariana ate 4 mil",
                says=(r"fora da zona sul",),
                never=(r"proxima", r"AP1205"),
            ),
        ),
        profile={"intent": "rent", "bedrooms": 2, "property_type": "apartment"},
        listings={"transaction": "rent"},
    ),
    Script(
        "erros de digitação",
        "typos",
        (Turn("bom dia, qeuro comprar apartamnto em pinheiros"),),
        profile={"intent": "buy", "property_type": "apartment"},
        listings={"transaction": "sale"},
    ),
    Script(
        "duas perguntas numa mensagem",
        "several questions",
        (
            Turn(
                "posso usar o fgts pra dar entrada? e qual ta sendo a taxa de juros hj?",
                says=(r"sim! .*fgts", r"10% e 12%"),
                # FGTS for a down payment is a purchase: "comprar ou alugar?" is not asked.
                never=(r"sobre isso", r"sac", r"comprar ou (?:para )?alugar\?"),
            ),
        ),
    ),
    Script(
        "mudou de alugar para comprar",
        "change of mind",
        (
            Turn("quero alugar um ap em Santana"),
            Turn("pensando melhor, quero comprar"),
            Turn("até 500 mil"),
        ),
        profile={"intent": "buy", "budget_max": 500_000, "name": None},
    ),
    Script(
        "corrige o orçamento",
        "correction",
        (
            Turn("quero comprar um apartamento em Perdizes até 500 mil"),
            Turn("na verdade consigo até 700 mil"),
        ),
        profile={"intent": "buy", "budget_max": 700_000},
        listings={"transaction": "sale"},
    ),
    Script(
        "mais opções",
        "pages forward",
        (
            Turn("quero alugar um studio"),
            Turn("até 3500"),
            Turn("tem mais opções?"),
        ),
        profile={"intent": "rent", "property_type": "studio"},
        listings={"transaction": "rent", "property_type": "studio"},
    ),
    Script(
        "pede para parar",
        "opt-out",
        (
            Turn("oi"),
            Turn("parar"),
            Turn("oi??", silent=True),
        ),
    ),
    Script(
        "pergunta que os documentos não respondem",
        "unanswerable",
        # The promise to come back says when ("até hoje às 17h"), never a bare "já te retorno".
        (
            Turn(
                "vcs fazem frete de mudança?",
                says=(r"corretor", r"te respondo por aqui ate (?:hoje|amanha) as \d+h"),
                never=(r"ja te retorno",),
            ),
        ),
        open_questions=True,
    ),
    Script(
        "documentos para alugar",
        "knowledge",
        (Turn("quais documentos vcs pedem pra alugar?", says=(r"rg|cpf|renda",)),),
    ),
    Script(
        "sem fiador",
        "knowledge",
        (Turn("nao tenho fiador, tem outra opcao?", says=(r"seguro|caucao|titulo",)),),
    ),
    Script(
        "investidor de studio",
        "investor",
        # "perto do metrô" is answered from the listing, never assumed from its silence.
        (
            Turn(
                "quero investir num studio perto do metrô pra renda de aluguel",
                says=(r"metro",),
            ),
        ),
        profile={"intent": "invest", "property_type": "studio"},
        listings={"transaction": "sale"},
    ),
    Script(
        "diz o nome",
        "name",
        (Turn("oi, meu nome é Carla e quero alugar um apartamento"),),
        profile={"name": "Carla", "intent": "rent"},
    ),
    Script(
        "primeira palavra não é nome",
        "name trap",
        (Turn("Poxa, ninguém me respondeu ontem"), Turn("quero comprar casa na Mooca")),
        profile={"name": None, "intent": "buy", "property_type": "house"},
    ),
    Script(
        "texto corrido de áudio",
        "run-on voice note",
        (
            Turn(
                "oi tudo bem entao eu to procurando um apartamento pra comprar aqui na zona oeste"
                " de preferencia em pinheiros ou perdizes com tres quartos e duas vagas e o valor"
                " ate um milhao e meio"
            ),
        ),
        profile={"intent": "buy", "bedrooms": 3, "parking": 2, "budget_max": 1_500_000},
    ),
    Script(
        "três imóveis não são três vagas",
        "counts",
        # The listings seen on the site are asked about (by code), not the next slot.
        (
            Turn(
                "vi 3 imoveis no site de vcs, queria mais opcoes de casa pra comprar",
                says=(r"os que voce viu no site, quais foram\?",),
                never=(r"com quem eu falo",),
            ),
        ),
        profile={"intent": "buy", "property_type": "house", "parking": None},
    ),
    Script(
        "IPTU por mês ou por ano",
        "knowledge",
        (Turn("o iptu q aparece no anuncio é por mes ou por ano?", says=(r"anual|por ano",)),),
    ),
    Script(
        "sala comercial para alugar",
        "commercial",
        (Turn("procuro sala comercial pra alugar em Pinheiros"),),
        profile={"intent": "rent", "property_type": "commercial"},
        listings={"transaction": "rent", "property_type": "commercial"},
    ),
    Script(
        "inquilino quer sair antes",
        "current tenant",
        # A penalty is not cheered with "Sim!".
        (
            Turn(
                "sou inquilino de vcs e quero sair antes do fim do contrato, pago multa?",
                says=(r"infelizmente, sim\. .*multa",),
                never=(r"sim!",),
            ),
        ),
        listings={"none": True},
    ),
    Script(
        "agradece e vai pensar",
        "closing politely",
        (
            Turn("quero alugar ap em Moema ate 6 mil"),
            Turn("obrigado, vou pensar", never=(r"codigo:",)),
        ),
        profile={"intent": "rent", "budget_max": 6000, "name": None},
        listings={"transaction": "rent"},
    ),
    Script(
        "andar que o anúncio não informa",
        "listing detail",
        (Turn("o AP1101 fica em que andar?", says=(r"confirmar",)),),
        open_questions=True,
    ),
    Script(
        "ITBI sem imóvel escolhido",
        "general cost",
        (
            Turn(
                "quanto é o ITBI em sp?",
                says=(r"itbi e de \*3%\*",),
                never=(r"sobre isso",),
            ),
        ),
    ),
    Script(
        "pede para ligar depois do expediente",
        "handoff with a named time",
        (
            Turn(
                "quero falar com um corretor, pode me ligar amanhã depois das 18h?",
                # A call, at the time asked, honest that 18h+ is after the agency closes.
                says=(r"te liga amanha ate as 18h", r"amanha depois das 18h\* fica fora"),
                never=(r"em breve", r"em ate 15 minutos", r"por aqui"),
            ),
        ),
        handoff=True,
        at=WEDNESDAY_WITH_HOURS,
    ),
    Script(
        "à vista e quer ver amanhã",
        "hot buyer cash",
        (
            Turn(
                "quero comprar à vista o AP2001, posso ir ver amanha?",
                says=(r"visita", r"amanha \(26/11\) as 9h"),
            ),
            Turn("pode ser às 10h", says=(r"visita marcada", r"as 10h")),
        ),
        handoff=True,
        temperature="hot",
    ),
    Script(
        "inquilina pergunta da multa",
        "current tenant, bad news",
        (
            # A penalty is said plainly, never cheered; a client is greeted without the pitch.
            Turn(
                "sou inquilina de vcs. tem multa se eu entregar o ap antes do prazo?",
                says=(r"multa de \*tres alugueis", r"cuida de quem ja e cliente"),
                never=(r"sim!", r"posso te ajudar a encontrar"),
            ),
        ),
        profile={"intent": "support"},
        listings={"none": True},
    ),
    Script(
        "pergunta sem resposta no sábado à noite",
        "unanswerable, after hours",
        (
            # Closed until Monday 9h: the broker's answer is promised for Monday, with a time.
            Turn(
                "boa noite, vcs aceitam carro como parte do pagamento?",
                says=(r"te respondo por aqui ate segunda as 11h",),
                never=(r"ja te retorno", r"em breve"),
            ),
        ),
        open_questions=True,
        at=SATURDAY_NIGHT,
    ),
    Script(
        "comprador quer metrô em Santana",
        "transit",
        (
            # Near the metrô only where the listing says so; the rest is confirmed, with a time.
            Turn(
                "oi! procuro ap de 2 dorms pra comprar em santana, perto do metro",
                says=(r"perto do metro", r"te respondo ate (?:hoje|amanha) as \d+h"),
            ),
            Turn("até 650 mil"),
        ),
        profile={"intent": "buy", "bedrooms": 2, "budget_max": 650_000},
        listings={"transaction": "sale"},
    ),
)
