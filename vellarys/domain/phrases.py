"""What the offline brain says, in Brazilian Portuguese, kept apart from the logic that picks it.

Tuples hold variants of one phrase; the planner picks one by the conversation's length, so the
same lead does not read the same words every time and tests stay deterministic.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain import vicinity
from vellarys.domain.budget import format_brl

# Sent once, by the inbound service, when a lead opts out; the brain never sees that message.
OPT_OUT = (
    "Tudo bem, você não vai mais receber mensagens nossas por aqui. "
    "Se mudar de ideia, é só escrever. 👋"
)
DEFAULT_PERSONA = "assistente virtual"

HANDOFF = (
    "Combinado! Vou te passar para um dos nossos corretores. 😊",
    "Claro! Vou pedir para um corretor da nossa equipe falar com você. 😊",
)
VISIT_HANDOFF = (
    "Ótimo, vamos marcar essa visita! O corretor combina com você o melhor dia e horário. 😊",
    "Que bom! Vamos agendar a visita no horário que for melhor para você. 😊",
)
LOOKED_UP_FOLLOW_UP = "Quer agendar uma visita ou saber mais sobre esse imóvel?"
SEEN_LISTING = "Sobre o {code} que te mandei: quer agendar uma visita ou saber mais sobre ele?"
MISSING_CODE = "Não encontrei nenhum imóvel com o código {code} na nossa carteira. 🤔"
MISSING_CODE_ALTERNATIVES = "Mas separei algumas opções parecidas:"
PROPERTIES_INTRO = (
    "Separei algumas opções que combinam com o que você procura:",
    "Olha só o que encontrei para você:",
    "Encontrei estas opções para você:",
)
PROPERTY_INTRO_ONE = "Encontrei esta opção para você:"
WIDENED_INTRO = "Não encontrei exatamente {criteria}, mas veja {where}:"
WIDENED_INTRO_GENERIC = "Não encontrei exatamente o que você pediu, mas veja {where}:"
# Where the widened search found them, ring by ring (``domain.vicinity``).
WIDENED_WHERE = {
    "same": "opções parecidas",
    "nearby": "opções em bairros vizinhos",
    "zone": "opções na mesma região ({zone})",
    "city": "opções em outros bairros",
    "far": "o que tenho fora {away}, {found}",
}
NO_MATCH = (
    "Por enquanto não encontrei imóveis com esse perfil na nossa carteira. Vou pedir para um"
    " corretor procurar outras opções para você."
)
NO_LISTINGS_HANDOFF = (
    "Nossa carteira de imóveis ainda está sendo cadastrada por aqui, então não consigo te"
    " mostrar opções agora. 😕 Vou passar o seu contato para um corretor, que procura com você."
)
NO_LISTINGS_NOTE = "A agência ainda não tem imóveis cadastrados; o lead procura um imóvel."
BOT_ANSWER = (
    "Sim, sou uma assistente virtual 🤖, mas aqui na {agency} tem corretores de verdade"
    " acompanhando. Se preferir falar com uma pessoa, é só pedir."
)
SUPPORT_HANDOFF = (
    "Poxa, sinto muito pelo transtorno! 😟 Vou passar o seu caso para a pessoa da nossa equipe"
    " que cuida de quem já é cliente, para resolver isso com você."
)
SUPPORT_ROUTE = (
    "Entendi! Vou passar o seu pedido para a pessoa da nossa equipe que cuida de quem já é"
    " cliente, para ver isso com você."
)
# A client's question answered from the agency's documents: the standard rule, not their own
# contract (which the team checks), and no cheerful "Entendi!" after bad news.
SUPPORT_ANSWERED = (
    "Essa é a regra padrão dos nossos contratos; o que vale é a cláusula do seu. A pessoa da"
    " nossa equipe que cuida de quem já é cliente confere o seu contrato com você."
)
APOLOGY = "Poxa, me desculpe pela demora! 😕 Vamos resolver agora."
OWNER_STREET = "Qual é o endereço do imóvel {place} (rua e número)?"
OWNER_RENT_PRICE = "Quanto você gostaria de receber de aluguel por ele?"
OWNER_WELCOME = "Que bom que pensou na gente para o seu imóvel! 😊"
OWNER_HANDOFF = (
    "Obrigada pelas informações! Vou passar para quem cuida da captação de imóveis aqui na"
    " imobiliária, para combinar a avaliação com você."
)
DEFAULT_SERVED_AREA = "São Paulo (capital) e algumas cidades da Grande SP"
OUT_OF_AREA = (
    "Hoje atendemos {served}, então nessa região não tenho imóveis para te mostrar. 😕"
    " Se também considerar a nossa região, posso procurar por aqui."
)
CLOSING_HANDOFF = "Perfeito! Um corretor vai seguir com você na proposta e nos próximos passos. 🤝"
IPTU_PERIOD = "Nos nossos anúncios, o IPTU aparece como valor *{period}*."
IPTU_PER_MONTH = "Para saber o peso no mês, é só dividir por 12."
COSTS_ASK_PRICE = "Se me disser o valor do imóvel (ou o código dele), eu calculo para você. 😊"
COSTS_DISCLAIMER = "Valores aproximados; o corretor monta a planilha exata antes da proposta."
SHOWN_STILL_FIT = "O {codes} que te mandei continua dentro do que você procura. 😊"
SHOWN_STILL_FIT_MANY = "Os {codes} que te mandei continuam dentro do que você procura. 😊"
# The budget just said: the cards sent that fit it, against the lead's own number.
SHOWN_FIT_BUDGET = "O {codes} que te mandei cabe nos {budget} que você falou. 😊"
SHOWN_FIT_BUDGET_MANY = "Os que te mandei ({codes}) cabem nos {budget} que você falou. 😊"
# Every card over the budget (nothing inside it is left): said before them, with its number.
CLOSEST_TO_BUDGET = "O mais próximo dos {budget} que você falou é este:"
CLOSEST_TO_BUDGET_MANY = "Os mais próximos dos {budget} que você falou são estes:"
NO_MORE = (
    "Com esse perfil, essas são as opções que tenho no momento. Se quiser, posso procurar em"
    " outros bairros ou com outro valor."
)
OVER_BUDGET = "O {code} sai por {price}, um pouco acima dos {budget} que você falou."
OVER_BUDGET_WITH_FEES = (
    "No {code}, aluguel + condomínio dá {total}, acima dos {budget} que você falou."
)
WIDENED_CLOSEST = "Não encontrei exatamente {criteria}; o mais próximo que tenho é este, {where}:"
WIDENED_CLOSEST_MANY = (
    "Não encontrei exatamente {criteria}; os mais próximos que tenho são estes, {where}:"
)
# Nothing in the bairro or its zone: asked before any card from farther away.
FAR_NONE = "{around} não encontrei {what} agora. O mais perto que tenho fica {nearest}."
FAR_QUESTION = "Você toparia ver em outra região?"
FAR_AGREED = "Combinado! Veja o que tenho {where}:"
OTHER_DEAL_OFFER = "Quer que eu te mostre opções parecidas para"
OTHER_DEAL_QUESTION = OTHER_DEAL_OFFER + " {deal}?"
AFTER_CARDS = "Gostou de alguma? Se quiser, posso pedir para um corretor agendar uma visita."
# The one question after cards is about them (a visit offered), not the next qualifying slot.
CARDS_QUESTION = (
    "Algum desses te interessou? Se quiser, já vejo um horário de visita.",
    "Gostou de algum? Se quiser conhecer, marco uma visita para você.",
)
CARD_QUESTION = "Esse te interessou? Se quiser, já vejo um horário de visita."
# The listing the lead asked about by code: they are interested, a visit is offered.
VISIT_OFFER = "Quer conhecer o {code} pessoalmente? Posso ver um horário de visita para você."
# "vi 3 imóveis no site": the ones they saw are asked about, by code.
SEEN_ON_SITE = (
    "E os que você viu no site, quais foram? Se me mandar os códigos, te conto tudo sobre eles. 😊"
)
ALL_SET = (
    "Perfeito, já tenho o que preciso! Um corretor vai entrar em contato com opções para você"
    " em breve. 😊"
)
STILL_HERE = "Qualquer dúvida, é só me chamar por aqui. 😊"

# "{when}" is ``PlanTurn.answer_by``: " até hoje às 17h"; a promise always has a time.
PART_BROKER_WILL_CONFIRM = "O resto eu confirmo com um corretor e te respondo por aqui{when}. 😊"
BROKER_WILL_CONFIRM = (
    "Vou confirmar essa informação com um corretor e te respondo por aqui{when}. 😊"
)
LISTING_WILL_CONFIRM = (
    "O anúncio não informa {missing}; vou confirmar com o corretor e te respondo{when}. 😊"
)
SEARCH_ACK = "Posso te ajudar a procurar, sim! 😊"
INJECTION_DEFLECT = "Por aqui eu te ajudo a encontrar o imóvel ideal. 😊"

FINANCING = (
    "Fiz uma simulação aproximada para um imóvel de {price}{source}, com 20% de entrada ({down})"
    " e {financed} financiados em 30 anos, a 11% ao ano:\n"
    "• SAC: primeira parcela de {sac} (as parcelas vão diminuindo)\n"
    "• Price: parcelas fixas de {price_installment}"
)
FINANCING_DISCLAIMER = (
    "É uma simulação aproximada; as condições dependem da análise de crédito do banco."
)
FINANCING_ASK_PRICE = "Para eu simular a parcela, qual é o valor do imóvel que você tem em mente?"

THANKS = ("Imagina! 😊", "Por nada! 😊", "Eu que agradeço! 😊")
THANKS_CLOSING = "Imagina! Qualquer coisa, é só chamar. 😊"
# A lead cooling off ("vou pensar", "está caro"): one useful step, one question at most.
COOLING_THINKING = "Claro, pensa com calma! 😊"
COOLING_PRICE = "Entendo, preço pesa mesmo."
CHEAPER_INTRO = "Tenho esta opção mais em conta:"
ALERT_QUESTION = "Quer que eu te avise?"
ALERT_OFFER = "Se quiser, te aviso por aqui quando entrar {wanted}. " + ALERT_QUESTION
ALERT_AGREED = "Combinado! Quando entrar uma opção com esse perfil, te mando por aqui. 😊"
ALERT_DECLINED = "Tudo bem! Qualquer coisa, é só chamar. 😊"
PRICE_RANGE_QUESTION = "Até quanto ficaria confortável para você? Assim procuro nessa faixa."
GOODBYE = (
    "Até mais! Quando quiser, é só chamar por aqui. 👋",
    "Até logo! Estou por aqui sempre que precisar. 👋",
)
HELLO_AGAIN = ("Oi{name}! 😊", "Olá{name}! 😊")
NOT_UNDERSTOOD = "Desculpa, não entendi muito bem."
NOT_UNDERSTOOD_OFFER = (
    "Desculpa, não entendi muito bem. Pode me contar de outro jeito? Se preferir, posso pedir"
    " para um corretor falar com você."
)
REACTION = ("😊", "👍")
STICKER = "Haha, adorei! 😄"

AUDIO = "Recebi seu áudio, mas não consegui ouvi-lo por aqui; pode me escrever?"
AUDIO_THEN_QUESTION = (
    "Recebi seu áudio, mas não consegui ouvi-lo por aqui, então, se puder, me escreve. 🙏"
)
LISTING_IN_PICTURE = "Esse aqui é o *{code}* ✔"
FILE_NOT_OPENED = "Não consegui abrir o arquivo que você mandou; se puder, envie de novo."
MEDIA = {
    "image": "Recebi sua imagem! Me conta o que mais te chamou atenção nela.",
    "video": "Recebi seu vídeo! Vou deixar anotado para um corretor dar uma olhada.",
    "document": "Recebi seu documento! Um corretor vai dar uma olhada nele.",
    "contacts": "Recebi o contato que você enviou; vou repassar para um corretor.",
    "unknown": "Recebi sua mensagem, mas não consegui abrir esse formato por aqui.",
}
CALL_MISSED_OPEN = (
    "Vi que você tentou me ligar! 📞 Já pedi para um corretor te retornar a ligação; enquanto"
    " isso, pode me contar por aqui o que você procura."
)
CALL_MISSED_CLOSED = (
    "Vi que você tentou me ligar! 📞 Por aqui eu atendo por mensagem, a qualquer hora."
    " Me conta: como posso te ajudar?"
)
LOCATION = "Agradeço pela localização{place}! Vou deixar anotado para o corretor."
LOCATION_NEAR = "Obrigada pela localização! Perto daí, em *{place}*, separei estas opções:"
LOCATION_NOTHING_NEAR = (
    "Obrigada pela localização! Em *{place}* não tenho imóveis disponíveis agora; posso buscar"
    " em bairros vizinhos."
)

# First asks, by slot; "{city}" only appears where the planner knows the city.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "name": ("Com quem eu falo?", "Como posso te chamar?", "Qual é o seu nome?"),
    "intent": (
        "Você procura imóvel para comprar ou alugar?",
        "Me conta: a ideia é comprar ou alugar?",
    ),
    "property_type": (
        "Que tipo de imóvel você procura: apartamento, casa, studio...?",
        "Você pensa em apartamento, casa ou outro tipo de imóvel?",
    ),
    "city": (
        "Em quais bairros ou região você gostaria de morar?",
        "Qual região ou bairro você prefere?",
    ),
    "neighborhoods": (
        "Em quais bairros você gostaria de morar?",
        "Tem algum bairro de preferência?",
    ),
    "budget_buy": (
        "Até qual valor você pretende investir?",
        "Qual é o valor máximo que você pensa em investir no imóvel?",
    ),
    "budget_rent": (
        "Qual o valor máximo de aluguel que cabe no seu orçamento?",
        "Até quanto você pode pagar de aluguel por mês?",
    ),
    "budget_any": ("Qual faixa de valor você tem em mente?",),
    "bedrooms": ("Quantos quartos você precisa, no mínimo?", "De quantos quartos você precisa?"),
    "parking": ("Quantas vagas de garagem você precisa?", "E vaga de garagem, precisa de quantas?"),
    "timeline": (
        "Para quando você está pensando em se mudar?",
        "Você pensa em se mudar logo ou ainda está pesquisando?",
    ),
    "payment": (
        "Como pretende pagar: financiamento, FGTS, à vista?",
        "Você pensa em financiar, usar FGTS ou pagar à vista?",
    ),
    "pets": ("Vai morar com algum pet?", "Tem algum bichinho que vai morar com você?"),
}
# Asked when the slot was asked before and is still open: other words, same slot.
REASKS: dict[str, str] = {
    "name": "Pode me dizer seu nome, por favor?",
    "intent": "Só para eu te ajudar melhor: você quer comprar ou alugar?",
    "property_type": "Você prefere apartamento, casa ou outro tipo de imóvel?",
    "city": "Tem alguma região ou bairro de preferência?",
    "neighborhoods": "Tem algum bairro que você prefere?",
    "budget_buy": 'Tem uma faixa de valor em mente? Pode ser aproximada, tipo "até 600 mil".',
    "budget_rent": 'Quanto você pode pagar de aluguel? Pode ser aproximado, tipo "até 3 mil".',
    "budget_any": 'Tem uma faixa de valor em mente? Pode ser aproximada, tipo "até 600 mil".',
    "bedrooms": "Quantos quartos seriam ideais para você?",
    "parking": "E vaga de garagem: precisa de quantas (pode ser nenhuma)?",
    "timeline": "Você pensa em se mudar logo ou ainda está pesquisando?",
    "payment": "Você pensa em financiar, usar FGTS ou pagar à vista?",
    "pets": "Tem algum pet que vai morar com você?",
}
NEIGHBORHOODS_IN_CITY = "Em quais bairros de {city} você gostaria de ficar?"
REGION_NOT_HOME = "Em quais bairros ou região você procura?"

TYPE_LABELS = {
    "apartment": "apartamento",
    "house": "casa",
    "condo_house": "casa em condomínio",
    "studio": "studio",
    "commercial": "imóvel comercial",
    "land": "terreno",
}
NICE_TO_MEET = "Prazer, {name}! 😊"
NOTED = "Anotado: {amounts}. 👍"
AMOUNT_WORDS = {
    "fgts_balance": "de FGTS",
    "down_payment": "de entrada",
    "monthly_income": "de renda por mês",
}
BUDGET_SOURCE = "(o valor máximo que você comentou)"
CODE_SOURCE = "do {code}"


def short_brl(value: int) -> str:
    """Money the way people say it: "R$ 700 mil", "R$ 1,2 milhão", "R$ 3.500"."""
    if value >= 1_000_000 and value % 100_000 == 0:
        millions = f"{value / 1_000_000:g}".replace(".", ",")
        return f"R$ {millions} {'milhão' if value < 2_000_000 else 'milhões'}"
    if value >= 10_000 and value % 1000 == 0:
        return f"R$ {value // 1000} mil"
    return format_brl(value)


def widened_criteria(widened: Sequence[str], profile: Mapping[str, Any]) -> str:
    """The relaxed filters as the lead said them: "apartamento em Moema até R$ 700 mil"."""
    parts = []
    kind = TYPE_LABELS.get(str(profile.get("property_type")))
    if "property_type" in widened and kind:
        parts.append(kind)
    if "bedrooms" in widened and profile.get("bedrooms"):
        parts.append(f"com {profile['bedrooms']} quartos")
    places = list(profile.get("neighborhoods") or []) or [profile.get("city")]
    if {"nearby", "zone", "neighborhoods", "city"} & set(widened) and places[0]:
        parts.append(" ou ".join(vicinity.in_place(str(p)) for p in places))
    if "parking" in widened and profile.get("parking"):
        parts.append(f"com {profile['parking']} vagas")
    budget = profile.get("budget_max")
    if "budget" in widened and isinstance(budget, int):
        parts.append(
            f"até {short_brl(budget)}" + ("/mês" if profile.get("intent") == "rent" else "")
        )
    return " ".join(parts)
