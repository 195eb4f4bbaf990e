"""What a lead's message is doing, beyond the slots it fills: greeting, asking, leaving, opting out.

Every matcher reads folded text (lowercase, no accents, single spaces). Opt-out is the one that
must never fire by accident: it stops all messages to the lead, so it needs a message that is
essentially just the opt-out word or an unmistakable opt-out phrase.
"""

import re

from vellarys.domain import vocabulary as vocab
from vellarys.domain.text import find_affirmed, fold, parsed_part, word_set


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_GREETING = _words(
    r"bom dia",
    r"boa tarde",
    r"boa noite",
    r"ola+",
    r"oie?",
    r"oii+e?",
    r"opa",
    r"hello",
    r"e ai",
    r"eai",
    r"salve",
)
_THANKS = _words(
    r"obrigad[oa]s?",
    r"brigad[oa]",
    r"valeu",
    r"vlw",
    r"agradeco",
    r"muito grat[oa]",
    r"grat[oa]",
)
_GOODBYE = _words(r"tchau", r"tchauzinho", r"ate mais", r"ate logo", r"ate breve", r"ate amanha")
# "falou" also means "said" ("ele falou que..."), so it is a goodbye only at the end of a message.
_GOODBYE_AT_END = re.compile(r"\b(?:falou|flw|fui)\W*$")

# Words that may surround an opt-out word without changing it ("pode parar, por favor").
_OPT_OUT_FILLER = word_set(
    "quero pode por favor pf pfv pfvr me eu agora ja ok obrigado obrigada so apenas"
)
_OPT_OUT_WORDS = frozenset(
    {
        "parar",
        "pare",
        "para",
        "sair",
        "stop",
        "descadastrar",
        "descadastre",
        "cancelar",
        "remover",
        "unsubscribe",
        "chega",
        "basta",
    }
)
_OPT_OUT_PHRASES = _words(
    r"nao quero mais receber",
    r"nao quero receber (?:mais )?(?:mensage\w*|msgs?|notifica\w*|propaganda\w*|isso|nada)",
    r"pare de me mandar",
    r"para de me mandar",
    r"parem de me mandar",
    r"pare de mandar",
    r"para de mandar",
    r"parem de mandar",
    r"nao me mande(?:m)? mais",
    r"nao me mandem? mensage\w*",
    r"me (?:tire|tira|remova|remove)"
    r" (?:da|dessa|desta) lista",
    r"sair da lista",
    r"descadastr\w*",
    r"parar de receber",
    r"nao quero mais (?:mensage\w*|contato)",
)

# A message made only of these acknowledges what was said ("ok, entendi", "beleza").
_ACK_WORDS = word_set(
    "ok okay oks certo entendi entendido beleza blz show perfeito legal combinado ta bom bem"
    " sim claro pode ser joia otimo massa top tranquilo fechado isso mesmo uhum aham hum sei"
)

_QUESTION_STARTS = _words(
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
    r"tera",
    r"precisa",
    r"existe",
    r"voces",
    r"vcs",
    r"e possivel",
    r"da pra",
    r"da para",
    r"o que",
    r"por que",
    r"porque",
    r"sera",
    r"sabe",
    r"consigo",
    r"funciona",
    r"e verdade",
)
_FINANCING = _words(
    r"parcelas?",
    r"prestac(?:ao|oes)",
    r"simula\w*",
    r"quanto (?:fica|ficaria|da|daria)"
    r" (?:o|pra|para) financ\w*",
    r"valor (?:da|das) (?:parcela|parcelas|prestacao|prestacoes)",
    r"financiamento (?:de|do|para) quanto",
    r"quanto (?:vou|eu vou|iria) pagar por mes",
)
_VISIT = _words(
    r"(?:agendar|marcar|agenda|marca|fazer) (?:uma |a )?visit\w*",
    r"visitar",
    r"quero visit\w*",
    r"posso (?:ir )?ver(?! (?:as |mais |outras |outros |umas )?(?:fotos?|opco\w*|videos?|planta))",
    r"(?:ver|conhecer) (?:o|esse|este|ele|a|essa|esta) (?:imovel|ap\w*|casa)",
    r"ver pessoalmente",
    r"conhecer pessoalmente",
    r"visita",
)
_INJECTION = _words(
    r"ignor\w* (?:\w+ ){0,3}(?:instrucoes|instrucao|regras|comandos|orientacoes|prompt)",
    r"ignore (?:all |any )?(?:the )?(?:previous |prior |above )?instructions",
    r"disregard (?:\w+ ){0,3}instructions",
    r"esqueca (?:\w+ ){0,2}(?:instrucoes|regras)",
    r"voce agora e",
    r"a partir de agora voce e",
    r"you are now",
    r"system prompt",
    r"prompt do sistema",
    r"prompt de sistema",
    r"finja que",
    r"finja ser",
    r"pretend (?:to be|you)",
    r"act as",
    r"aja como",
    r"jailbreak",
    r"modo desenvolvedor",
    r"developer mode",
    r"(?:revele|mostre|me diga|repita) (?:\w+ ){0,2}(?:instrucoes|prompt|regras internas)",
)
_LISTING_CODE = re.compile(r"\b([A-Za-z]{2})([ -]?)(\d{3,5})\b")
# A code needs one of the prefixes agencies use when it is written apart ("ap 1234"), so that
# "de 2500" or "em 1990" are never codes, and four digits at least, so that "moro no ap 302" is
# an apartment number; glued to its digits ("ab123") any pair counts.
_CODE_PREFIXES = frozenset({"AP", "CA", "CC", "ST", "SL", "TR", "CO", "GA", "LJ", "KT", "CB", "SO"})


def detect_intents(text: str) -> frozenset[str]:
    """The intents of one message (or burst); empty when it only carries slots or nothing.

    Besides the intents the planner acts on, "ack" marks a bare acknowledgement ("ok, entendi").
    """
    folded = fold(parsed_part(text))
    found = {
        "greeting": bool(_GREETING.search(folded)),
        "thanks": bool(_THANKS.search(folded)),
        "goodbye": bool(_GOODBYE.search(folded) or _GOODBYE_AT_END.search(folded)),
        "human": find_affirmed(folded, vocab.WANTS_HUMAN) is not None,
        "opt_out": is_opt_out(folded),
        "question": _is_question(folded),
        "financing_question": bool(_FINANCING.search(folded)),
        "visit": find_affirmed(folded, _VISIT) is not None,
        "prompt_injection": bool(_INJECTION.search(folded)),
        "ack": _is_ack(folded),
    }
    return frozenset(name for name, present in found.items() if present)


def is_opt_out(text: str) -> bool:
    """True for "parar", "SAIR!", "stop por favor", "não quero mais receber mensagens"."""
    folded = fold(text)
    if _OPT_OUT_PHRASES.search(folded):
        return True
    remaining = [w for w in re.findall(r"[a-z]+", folded) if w not in _OPT_OUT_FILLER]
    return len(remaining) == 1 and remaining[0] in _OPT_OUT_WORDS


def _is_ack(folded: str) -> bool:
    words = re.findall(r"[a-z]+", folded)
    return bool(words) and "?" not in folded and all(w in _ACK_WORDS for w in words)


def _is_question(folded: str) -> bool:
    if "?" in folded:
        return True
    return any(_QUESTION_STARTS.match(line.strip()) for line in folded.split("\n"))


def listing_codes(text: str) -> list[str]:
    """Listing codes in ``text``, uppercased, in order, once each: "vi o ap 1234" -> ["AP1234"]."""
    codes: list[str] = []
    for match in _LISTING_CODE.finditer(text):
        prefix, gap, digits = match.group(1).upper(), match.group(2), match.group(3)
        if not gap or (prefix in _CODE_PREFIXES and len(digits) >= 4):
            codes.append(prefix + digits)
    return list(dict.fromkeys(codes))
