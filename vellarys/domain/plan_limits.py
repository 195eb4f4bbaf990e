"""Plan limits against a month's usage: which are near (80 %) or past (100 %) their limit.

Nothing here refuses a lead's message: past the message or LLM-token limit the offline brain
answers, past the lead limit the lead is still stored and answered; the agency's admins and
the operator are told.
"""

from __future__ import annotations

from dataclasses import dataclass

WARN_AT = 0.8
MESSAGES, LLM_TOKENS, LEADS, STORAGE = "messages", "llm_tokens", "leads", "storage"
# Past these, the LLM is not called this month.
LLM_STOPPERS = frozenset({MESSAGES, LLM_TOKENS})
LABELS = {
    MESSAGES: "mensagens do mês",
    LLM_TOKENS: "tokens de IA do mês",
    LEADS: "leads novos do mês",
    STORAGE: "armazenamento",
}


@dataclass(frozen=True, slots=True)
class Reading:
    """One limit: what was used, the limit, and the level reached (None, "warn", "over")."""

    kind: str
    used: int
    limit: int

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit > 0 else 1.0

    @property
    def level(self) -> str | None:
        if self.used >= self.limit:
            return "over"
        return "warn" if self.share >= WARN_AT else None


def readings(used: dict[str, int], limits: dict[str, int | None]) -> list[Reading]:
    """A reading for each limited kind (an absent or None limit is unlimited)."""
    return [
        Reading(kind, int(used.get(kind, 0)), int(limit))
        for kind, limit in limits.items()
        if limit is not None
    ]


def llm_stopped(found: list[Reading]) -> str | None:
    """The kind that stops the LLM this month ("messages", "llm_tokens"), or None."""
    for reading in found:
        if reading.kind in LLM_STOPPERS and reading.level == "over":
            return reading.kind
    return None


def notice(reading: Reading, month: str) -> str:
    """What the agency's admins read (pt-BR)."""
    label = LABELS[reading.kind]
    if reading.level == "over":
        extra = (
            " O assistente segue respondendo com o cérebro offline."
            if reading.kind in LLM_STOPPERS
            else " Nenhum lead deixa de ser atendido."
        )
        return (
            f"Limite do plano atingido: {label} ({reading.used}/{reading.limit}) em {month}."
            f"{extra} Fale com o suporte para ampliar o plano."
        )
    percent = round(reading.share * 100)
    return f"Atenção: {percent}% do limite de {label} do plano ({reading.used}/{reading.limit})."
