"""Phrases that recognise a message's acts, matched against folded text (no accents, lowercase).

Only phrases that are exact live here; what rules cannot tell apart is left to the nearest
labelled examples (see ``understanding``).
"""

import re

from vellarys.domain import vocabulary as vocab


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_PLACE_NOUN = (
    r"(?:imovel|ap|apto|ape|apartamento|casa|sobrado|kitnet|terreno|sala|loja|studio|flat)"
)
_MY_PLACE = r"(?:meu|minha|nosso|nossa|o meu|a minha) (?:\w+ )?" + _PLACE_NOUN
# "tenho um ap pra alugar" is an owner; "procuro um ap pra alugar" is not.
_OWNED_PLACE = (
    r"(?:" + _MY_PLACE + r"|(?:tenho|temos|possuo|herdei) (?:um|uma) (?:\w+ )?" + _PLACE_NOUN + ")"
)
SELL = _words(
    r"vend(?:er|o|emos|endo|eria)\b.{0,30}\b" + _MY_PLACE,
    _OWNED_PLACE + r".{0,40}\b(?:pr?a|para|a) vend(?:er|a)",
    r"quero vender",
    r"quer vender",
    r"queria vender",
    r"gostaria de vender",
    r"preciso vender",
    r"to vendendo",
    r"estou vendendo",
    r"colocar (?:a |o )?(?:\w+ )?(?:a|pr?a|para) venda",
    r"anunciar (?:o |a )?(?:meu|minha)",
    r"avaliar (?:o |a )?(?:meu|minha)",
    r"avaliacao (?:do|da) (?:meu|minha)",
    r"quanto vale (?:o |a )?(?:meu|minha)",
)
RENT_OUT = _words(
    r"alug(?:ar|o)\b.{0,30}\b" + _MY_PLACE,
    _OWNED_PLACE + r".{0,40}\b(?:pr?a|para|a) (?:alugar|locar|locacao)",
    r"colocar (?:\w+ )?(?:pr?a|para|em) (?:alugar|locacao)",
    r"administr\w* (?:o |a )?(?:meu|minha|aluguel)",
    r"administracao de (?:imove\w*|aluguel)",
    r"sou (?:proprietari[oa]|dono|dona) (?:de|do|da) (?:um|uma)",
    r"procurando inquilin\w*",
    r"(?:pr?a|para|quero|vou|pretendo) alugar (?:ele|ela)\b",
    r"(?:arrumam|arranjam|acham|encontram) (?:um )?inquilin\w*",
    r"(?:por|colocar|botar) (?:\w+ )?pr?a alugar",
    r"achar (?:um )?inquilin\w*",
)
SUPPORT = _words(
    r"sou inquilin\w*",
    r"moro (?:num|em um|no|na) (?:ap|apto|apartamento|imovel|casa)"
    r" (?:de|da|administrad\w* por) (?:voces|vcs)",
    r"(?:vazamento|vazando|infiltra\w*|goteira|encanamento|cano estourado|mofo|chuveiro queimou)",
    r"segunda via",
    r"2a via",
    r"boleto",
    r"repasse",
    r"meu contrato",
    r"titular do contrato",
    r"contrato assinado",
    r"renova\w* (?:o |do )?contrato",
    r"rescis\w*",
    r"(?:entregar|devolver) (?:as )?chaves",
    r"vistoria de saida",
    r"reajuste do aluguel",
    r"(?:ja )?(?:comprei|assinei|fechei) (?:com voces|o contrato|a compra)",
    r"andamento (?:do|da) (?:meu|minha|processo|financiamento|escritura)",
    r"minha escritura",
    r"(?:meu|o) inquilino",
    r"manutencao",
    r"quebr(?:ou|ado|ada|aram)",
    r"informe de rendimentos?",
    r"nao (?:esta|ta) funcionando",
    r"conserto",
)
SEEKING = _words(
    r"(?:quero|procuro|procurando|busco|queria|preciso de) (?:um |uma )?(?:outr[oa] )?"
)
COMPLAINT = _words(
    r"absurdo",
    r"pessim\w*",
    r"horrivel",
    r"descaso",
    r"falta de respeito",
    r"reclama\w*",
    r"procon",
    r"reclame aqui",
    r"ninguem (?:me )?(?:respond|retorn|atend|resolv|lig)\w*",
    r"esperando (?:um )?retorno",
    r"(?:nao|nunca) (?:me )?(?:responde|respondem|resolvem|ligaram|ligam|retornam)\w*",
    r"mandei \w+ mensage\w* e nada",
    r"nem apareceu",
    r"prometeram",
    r"grosso",
    r"grossa",
    r"enrola\w*",
    r"(?:nao|nunca) (?:me )?(?:responderam|retornaram|resolveram|deram retorno)",
    r"(?:estou|to|tou) (?:muito )?(?:insatisfeit\w*|chatead\w*|irritad\w*|decepcionad\w*)",
    r"que demora",
    r"palhacada",
    r"vergonha",
    r"enrolando",
    r"enrolacao",
)
BOT = _words(
    r"(?:vc|voce|ce|tu)? ?(?:e|eh) (?:um |uma )?(?:ia|humano|humana|de verdade|pessoa real"
    r"|atendente virtual|assistente virtual|pessoa mesmo)",
    r"alguem de verdade",
    r"(?:vc|voce|tu|isso|ce|e|eh) (?:e |eh )?(?:um )?(?:robo|bot|ia|maquina|chatbot|chatgpt)",
    r"robo",
    r"\w*bot",
    r"inteligencia artificial",
    r"chat ?gpt",
    r"(?:estou|to|tou) falando com (?:uma )?(?:pessoa|humano|gente|maquina|robo)",
    r"(?:e|eh|vc e|voce e) (?:uma )?(?:pessoa|humano|gente) (?:de verdade|real)",
    r"resposta automatica",
    r"mensagem automatica",
    r"e automatico",
)
VISIT = _words(
    r"(?:agendar|marcar|agenda|marca|fazer|quero|gostaria de|queria) (?:uma |a )?visit\w*",
    r"visitar",
    r"quero visit\w*",
    r"(?:pode|podemos|vamos) (?:marcar|agendar)",
    r"(?:agend|marc)\w* .{0,20}\bvisita",
    r"conhecer (?:o|a|esse|essa|este|esta) (?:imovel|ap\w*|casa|sobrado|studio|kitnet)",
    r"(?:podemos|posso|da pra|quero|queria|gostaria de|consigo) (?:ir )?ver"
    r" (?:o|a|esse|essa|este|esta) (?:imovel|ap\w*|ape|casa|sobrado|studio|kitnet)",
    r"posso (?:ir )?ver(?! (?:as |mais |outras |outros |umas )?(?:fotos?|opco\w*|videos?|planta))",
    r"(?:ver|conhecer) (?:o|esse|este|ele|a|essa|esta) (?:imovel|ap\w*|casa) pessoalmente",
    r"ver pessoalmente",
    r"conhecer pessoalmente",
    r"(?:da|daria) pr?a (?:ir )?ver (?:ele|ela|o ap\w*|a casa|hoje|amanha|sabado|domingo)",
    r"(?:ir|passar) (?:ai |la )?(?:ver|conhecer) (?:o|a|esse|essa)",
)
HUMAN = re.compile(
    vocab.WANTS_HUMAN.pattern
    + r"|\b(?:whats(?:app)?|zap|contato|numero|telefone) do (?:corretor|responsavel|gerente)\b"
    + r"|\bpede pr?o (?:corretor|responsavel|gerente)\b|\bpedir pr?o (?:corretor|responsavel)\b"
)
STAFF_REQUEST = _words(
    r"falar com",
    r"fala com",
    r"conversar com",
    r"chama",
    r"chamar",
    r"passa pr?a",
    r"quero (?:o|a)",
    r"cade (?:o|a)",
    r"(?:o|a) \w+ (?:me atendeu|me atendia|que me atendeu)",
    r"atendid[oa] (?:pelo|pela)",
    r"(?:ta|esta|tá) ai",
)
CORRECTION = _words(
    r"na verdade",
    r"corrigindo",
    r"correcao",
    r"me enganei",
    r"(?:eu )?errei",
    r"digitei errado",
    r"escrevi errado",
    r"quis dizer",
    r"melhor dizendo",
    r"mudei de ideia",
    r"pensando (?:bem|melhor)",
    r"nao (?:e|eh) (?:isso|bem isso)",
    r"esquece (?:o que eu disse|isso)",
    r"desconsidera\w*",
    r"onde (?:eu )?(?:disse|falei|escrevi)",
    r"na vdd",
    r"ops",
    r"errei\b",
)
OPT_OUT = _words(
    r"par(?:ar|e|em|a) de (?:me )?mandar",
    r"nao quero mais receber",
    r"pare de me mandar",
    r"para de me mandar",
    r"parem de me mandar",
    r"nao me mandem? mais",
    r"me (?:tire|tira|remova|remove) (?:da|dessa|desta) lista",
    r"sair da lista",
    r"descadastr\w*",
    r"parar de receber",
)
GREETING = _words(
    r"bom dia+",
    r"boa tarde+e*",
    r"boa noite+e*",
    r"tudo bem",
    r"tudo bom",
    r"td bem",
    r"td bom",
    r"ola+",
    r"oie?",
    r"oii+e?",
    r"opa",
    r"hello",
    r"e ai",
    r"eai",
    r"salve",
)
SMALL_TALK = _words(
    r"obrigad[oa]s?",
    r"brigad[oa]",
    r"valeu",
    r"vlw",
    r"tchau",
    r"obg",
    r"legal",
    r"combinado",
    r"ah ta",
    r"fico no aguardo",
    r"aguardo",
    r"otimo dia",
    r"tudo otimo",
    r"bom fim de semana",
    r"ate mais",
    r"ate logo",
    r"kkk+",
    r"haha\w*",
    r"beleza",
    r"blz",
    r"ok",
    r"entendi",
    r"show",
    r"perfeito",
)
SEARCH_WORDS = _words(
    r"zona (?:sul|norte|leste|oeste|central)",
    r"perto d[oa] (?:metro|estacao|trem)",
    r"regiao d[eoa]",
    r"(?:quero|procuro|busco|preciso de) algo",
)
MORE_OPTIONS = _words(
    r"mais (?:opcoes|opcao|imoveis|alternativas)",
    r"(?:tem|teria|manda|me manda|mostra) (?:outr[oa]s?|mais)",
    r"outras opcoes",
    r"algo mais barato",
    r"mais barat[oa]s?",
)
# Words that carry no request on their own ("entao", "ai", "gente").
FILLER = _words(r"entao", r"ai", r"gente", r"pessoal", r"tudo", r"bem", r"e voce", r"e vc", r"sim")
WORD = re.compile(r"[a-z0-9]+")
BUY = vocab.INTENT["buy"]
RENT = vocab.INTENT["rent"]
INVEST = vocab.INTENT["invest"]

# Checked in this order for each clause; every affirmed match becomes an act.
RULES = (
    ("greeting", GREETING),
    ("small_talk", SMALL_TALK),
    ("opt_out", OPT_OUT),
    ("bot_question", BOT),
    ("ask_human", HUMAN),
    ("visit_request", VISIT),
    ("sell", SELL),
    ("rent_out", RENT_OUT),
    ("support", SUPPORT),
    ("complaint", COMPLAINT),
    ("correction", CORRECTION),
    ("invest", INVEST),
    ("buy", BUY),
    ("rent", RENT),
)

# What a question is about; cost topics are computed for the lead, the rest read off a listing.
TOPICS = (
    ("itbi", _words(r"itbi", r"imposto de transmissao")),
    ("registry", _words(r"cartorio", r"escritura", r"registro", r"custos? (?:de|da) compra")),
    (
        "financing",
        _words(
            r"parcelas?",
            r"prestac(?:ao|oes)",
            r"simula\w*",
            r"financ\w*",
            r"entrada",
            r"sac",
            r"price",
        ),
    ),
    (
        "affordability",
        _words(
            r"quanto (?:eu )?(?:preciso|tenho que|teria que) ganhar", r"renda (?:minima|necessaria)"
        ),
    ),
    ("pets", _words(r"pets?", r"cachorr\w*", r"gat[oa]s?", r"animais", r"animal")),
    ("iptu", _words(r"iptu")),
    ("condominio", _words(r"condominio", r"condo")),
    ("floor", _words(r"andar", r"andares", r"um por andar", r"por andar")),
    ("parking", _words(r"vagas?", r"garagem")),
    ("area", _words(r"metragem", r"m2", r"metros", r"tamanho", r"area")),
    ("bedrooms", _words(r"quartos?", r"qtos?", r"dorms?", r"suites?")),
    (
        "availability",
        _words(r"disponivel", r"ainda (?:esta|ta|tem)", r"ja foi (?:vendido|alugado)"),
    ),
    ("price", _words(r"quanto (?:custa|e|eh|ta|esta|sai|fica)", r"preco", r"valor")),
    ("photos", _words(r"fotos?", r"videos?", r"planta")),
    (
        "features",
        _words(
            r"armarios?",
            r"varanda",
            r"piscina",
            r"churrasqueira",
            r"mobiliad\w*",
            r"elevador",
            r"portaria",
        ),
    ),
)
COST_TOPICS = frozenset({"itbi", "registry", "financing", "affordability"})

QUESTION_START = _words(
    r"como",
    r"qual",
    r"quais",
    r"quanto",
    r"quantos",
    r"quantas",
    r"quando",
    r"onde",
    r"pode(?! ser)",
    r"posso",
    r"podem",
    r"aceita",
    r"aceitam",
    r"tem(?! que)",
    r"teria",
    r"precisa",
    r"existe",
    r"voces",
    r"vcs",
    r"e possivel",
    r"da pra",
    r"da para",
    r"o que",
    r"por que",
    r"sera",
    r"sabe",
    r"consigo",
    r"funciona",
)
QUESTION_CUE = _words(
    r"(?:queria|quero|gostaria de|gostaria|preciso) saber",
    r"sabe me (?:dizer|informar)",
    r"me (?:diz|diga|fala|informa)",
    r"(?:uma |outra )?duvida",
    r"queria entender",
)
ORDINAL_REF = _words(
    r"(?:o|a|do|da|no|na) (primeir[oa]|segund[oa]|terceir[oa]|quart[oa]|ultim[oa]|[1-3][oa])"
    r"(?! (?:vez|andar|quarto|mes|semana|dia|ano|lugar|opcao de pagamento))",
)
THIS_REF = _words(
    r"(?:esse|este|desse|deste|nesse|neste|dessa|desta|essa|esta|nessa|nesta)"
    r" (?:ap\w*|imovel|casa|sobrado|ai|aqui|ultimo|anuncio|studio|kitnet|ape)",
    r"(?:esse|este|essa|esta) (?:ai|aqui)",
    r"(?:ele|ela) aceita",
)
CLAUSE_BREAK = re.compile(r"[.!?\n;]+|(?<=\D),(?=\D)")
DISCOURSE_MARKER = _words(
    r"e (?:tambem|tbm|tb)",
    r"tambem queria",
    r"tbm queria",
    r"alem disso",
    r"outra coisa",
    r"outra duvida",
    r"ah e",
    r"e outra",
    r"mas (?:antes|tambem|queria|gostaria)",
    r"e queria",
    r"e gostaria",
    r"e ja",
    r"e se",
    r"e como",
    r"e qual",
    r"e quanto",
)

# Cities leads name that an agency may not serve; ``understanding`` flags those outside the
# agency's own cities. Capitals and the large cities of the South-East.
OTHER_CITIES = (
    "São Paulo",
    "Rio de Janeiro",
    "Belo Horizonte",
    "Curitiba",
    "Porto Alegre",
    "Florianópolis",
    "Salvador",
    "Recife",
    "Fortaleza",
    "Brasília",
    "Goiânia",
    "Manaus",
    "Belém",
    "Vitória",
    "Natal",
    "João Pessoa",
    "Maceió",
    "Aracaju",
    "Teresina",
    "São Luís",
    "Cuiabá",
    "Campo Grande",
    "Campinas",
    "Santos",
    "Guarujá",
    "Praia Grande",
    "Sorocaba",
    "Jundiaí",
    "Ribeirão Preto",
    "São José dos Campos",
    "Niterói",
    "Uberlândia",
    "Londrina",
    "Joinville",
    "Piracicaba",
    "Bauru",
    "Ubatuba",
    "Atibaia",
)
