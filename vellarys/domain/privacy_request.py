"""LGPD requests a lead writes in the chat: "quero saber que dados vocês têm de mim"
(``access``), "apaguem meus dados" (``erase``). Opt-out ("não quero mais receber
mensagens") is recognised by ``intent.is_opt_out``.

Like opt-out, a request must not fire by accident ("meus dados pro financiamento: ..."),
so only unmistakable phrasings count; erasure wins when a message asks both.
"""

from __future__ import annotations

import re

from vellarys.domain.text import fold

ACCESS, ERASE, OPT_OUT = "access", "erase", "opt_out"

_MINE = (
    r"(?:tod[oa]s )?(?:os |as |o |a )?(?:meus?|minhas?) (?:dados|informac\w*|cadastro|registros?)"
)
_ERASE_VERB = r"(?:apag|exclu|delet|remov|elimin|limp|apaguem|exclua)\w*"
_ERASE = re.compile(
    r"\b(?:"
    rf"{_ERASE_VERB} (?:(?:o|os|a|as|todo|tudo) )?{_MINE}"
    rf"|{_MINE} (?:\w+ ){{0,3}}(?:apagad|excluid|deletad|removid|eliminad)\w*"
    r"|(?:apag|exclu|delet)\w* (?:tudo|todos os dados|os dados) (?:de|sobre|a respeito de) mim"
    r"|direito (?:ao |de )?esquecimento"
    r"|(?:esquecam|esquecer) (?:de )?mim"
    r")\b"
)
_WHAT = r"(?:dados|informac\w*)"
_ACCESS = re.compile(
    r"\b(?:"
    rf"(?:que|quais) {_WHAT} (?:\w+ ){{0,2}}(?:tem|tem|possuem|guardam|armazenam|sabem|coletaram)"
    rf"(?: \w+){{0,2}} (?:de|sobre|a meu respeito|meus?)"
    rf"|(?:quero|queria|gostaria de|preciso|pode me|podem me|poderiam me|me) "
    rf"(?:(?:ver|saber|receber|acessar|consultar|mandar|enviar|passar) )?"
    rf"(?:uma )?(?:copia (?:de |d)?)?{_MINE}(?: que voces tem| pessoais|$)"
    rf"|(?:copia|relatorio|extrato) (?:dos|de|com) (?:meus )?{_WHAT}"
    r"|o que voces? (?:sabem|tem|guardam) (?:de|sobre) mim"
    r")"
)


def privacy_request(text: str) -> str | None:
    """``erase``, ``access`` or None for one message from a lead."""
    folded = " ".join(fold(text).split())
    folded = re.sub(r"[^\w\s]", " ", folded)
    folded = " ".join(folded.split())
    if _ERASE.search(folded):
        return ERASE
    if _ACCESS.search(folded):
        return ACCESS
    return None
