"""What leads and brokers read about visits (WhatsApp format: *bold*, "•" lists)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_BRING = "um documento com foto (RG ou CNH)"


@dataclass(frozen=True, slots=True)
class VisitFacts:
    """A visit as the texts name it; ``when`` is already a label ("sábado (05/12) às 10h")."""

    code: str
    title: str
    address: str
    when: str
    broker: str
    lead: str = ""
    phone: str = ""


def first_name(name: str | None) -> str:
    return (name or "").split(" ")[0]


def offer(
    code: str, broker: str, slots: Sequence[str], *, missed: str | None, moving: bool = False
) -> str:
    """The slots offered for ``code``; ``missed`` is the preference no slot met."""
    with_broker = f" com {first_name(broker)}" if broker else ""
    if moving and not missed:
        head = f"Claro! Para remarcar a visita ao *{code}*{with_broker}, tenho:"
    elif missed:
        head = (
            f"Não tenho horário livre {missed} 😕 Os mais próximos para visitar o *{code}*"
            f"{with_broker} são:"
        )
    else:
        head = f"Ótimo! Tenho estes horários para você visitar o *{code}*{with_broker}:"
    lines = "\n".join(f"• {slot}" for slot in slots)
    return f"{head}\n{lines}\n\nQual fica melhor para você?"


_OFFER_ENDINGS = ("Qual fica melhor para você?", "Pode ser?")


def is_offer(text: str) -> bool:
    """Whether an assistant message offered slots (so "o primeiro" picks one of them)."""
    return text.rstrip().endswith(_OFFER_ENDINGS)


def taken(label: str) -> str:
    return f"Esse horário acabou de ser reservado 😕 O próximo livre é {label}. Pode ser?"


ASK_PREFERENCE = (
    "Sem problema! Qual dia e período ficam melhor para você (por exemplo, “sábado de manhã”)?"
)
ASK_WHICH = "Qual desses horários você prefere: o primeiro, o segundo ou o terceiro?"
NOTHING_BOOKED = "Tudo bem, não marquei nada. Se quiser agendar depois, é só me chamar. 🙂"
NO_SLOTS = (
    "Não encontrei horário livre na agenda do corretor nas próximas semanas. Vou pedir para ele"
    " combinar o melhor dia com você."
)


ASK_VISITOR_NAME = (
    "Para deixar a visita no seu nome (o corretor e a portaria precisam), qual é o seu nome"
    " completo?"
)


def confirmed(facts: VisitFacts, *, bring: str, moved: bool = False, ask_name: bool = False) -> str:
    """The booking, and when the lead's name is unknown the one question: their name."""
    head = "Pronto, visita remarcada! ✅" if moved else "Prontinho, visita marcada! ✅"
    text = (
        f"{head}\n\n"
        f"🏠 *{facts.code}* — {facts.title}\n"
        f"📍 {facts.address}\n"
        f"🗓️ {facts.when}\n"
        f"👤 Corretor(a): {facts.broker}\n\n"
        f"*O que levar:* {bring}.\n\n"
        "Se precisar remarcar ou cancelar, é só me avisar por aqui."
    )
    return f"{text}\n\n{ASK_VISITOR_NAME}" if ask_name else text


def cancelled(facts: VisitFacts) -> str:
    return (
        f"Cancelei sua visita de {facts.when} ao *{facts.code}*. Se quiser marcar outro dia, é só"
        " me chamar por aqui. 🙂"
    )


def cant_make_it(facts: VisitFacts) -> str:
    return (
        f"Sem problema, imprevistos acontecem! Cancelei a visita de {facts.when} ao *{facts.code}*."
    )


def lead_reminder(facts: VisitFacts, *, name: str | None, soon: bool) -> str:
    hello = f"Oi, {first_name(name)}! " if first_name(name) else "Oi! "
    if soon:
        return (
            f"{hello}Sua visita ao *{facts.code}* é {facts.when} 🙂\n📍 {facts.address}\n"
            f"{first_name(facts.broker)} te encontra lá. Se algo mudar, me avise por aqui."
        )
    return (
        f"{hello}Passando para lembrar da sua visita ao *{facts.code}* {facts.when}.\n"
        f"📍 {facts.address}\n👤 Corretor(a): {facts.broker}\n"
        "Se precisar remarcar ou cancelar, é só me avisar por aqui."
    )


def no_show(facts: VisitFacts, *, name: str | None) -> str:
    hello = f"Oi, {first_name(name)}! " if first_name(name) else "Oi! "
    return (
        f"{hello}Sentimos sua falta na visita ao *{facts.code}*. Imprevistos acontecem 🙂 "
        "Quer marcar outro dia? É só me dizer o dia e o período que ficam melhor para você."
    )


_BROKER_HEADS = {
    "booked": "📅 *Nova visita marcada pela assistente*",
    "moved": "🔁 *Visita remarcada pelo lead*",
    "cancelled": "❌ *Visita cancelada pelo lead*",
    "broker_day": "📅 *Lembrete: visita amanhã*",
    "broker_2h": "⏰ *Visita em 2 horas*",
}


def broker_notice(
    kind: str, facts: VisitFacts, *, ics_url: str | None, lead_url: str | None
) -> str:
    lines = [
        _BROKER_HEADS[kind],
        f"👤 {facts.lead} ({facts.phone})",
        f"🏠 *{facts.code}* — {facts.address}",
        f"🗓️ {facts.when}",
    ]
    if ics_url and kind != "cancelled":
        lines.append(f"Adicionar à agenda: {ics_url}")
    if lead_url:
        lines.append(f"Lead no painel: {lead_url}")
    return "\n".join(lines)


def in_app(kind: str, facts: VisitFacts) -> str:
    verbs = {
        "booked": "Visita marcada",
        "moved": "Visita remarcada",
        "cancelled": "Visita cancelada",
    }
    return f"📅 {verbs[kind]}: *{facts.lead}* — {facts.code}, {facts.when}."
