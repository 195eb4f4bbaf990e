"""Approved WhatsApp message templates: the only messages the Cloud API takes outside the
24-hour window. A channel lists each template's name, language, purpose and the order of its
body variables; the text itself was approved by Meta and lives there, not here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PURPOSES = {
    "follow_up": "Follow-up",
    "reactivation": "Reativação",
    "broker_notice": "Aviso ao corretor",
    "manager_alert": "Alerta ao gestor",
    "briefing": "Resumo da manhã ao gestor",
    "visit_reminder": "Lembrete de visita",
    "first_contact": "Primeiro contato (lead de portal ou site)",
}
VARIABLES = {
    "lead_name": "primeiro nome do lead",
    "interest": "o que o lead procura",
    "listing": "imóvel novo ou com preço reduzido",
    "agency": "nome da imobiliária",
    "persona": "nome da assistente",
    "lead_phone": "telefone do lead",
    "summary": "resumo do atendimento",
    "link": "link do lead no painel",
    "text": "o texto inteiro da mensagem",
    "origin": "onde o lead nos encontrou (portal, site)",
}
MAX_VARIABLE_CHARS = 1024  # Meta's limit for one body parameter
_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


@dataclass(frozen=True, slots=True)
class WhatsAppTemplate:
    name: str
    language: str
    purpose: str
    variables: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "purpose": self.purpose,
            "variables": list(self.variables),
        }


def make_template(
    *, name: str, language: str, purpose: str, variables: Iterable[str]
) -> WhatsAppTemplate:
    """A checked template; ``ValueError`` with a message in Portuguese otherwise."""
    name, language = name.strip(), language.strip()
    names = tuple(v.strip() for v in variables if v.strip())
    if not _NAME.match(name):
        raise ValueError("Nome do modelo: use letras minúsculas, números e _ (como na Meta).")
    if not _LANGUAGE.match(language):
        raise ValueError("Idioma: use o código da Meta, por exemplo pt_BR.")
    if purpose not in PURPOSES:
        raise ValueError("Uso: escolha " + ", ".join(PURPOSES) + ".")
    unknown = [v for v in names if v not in VARIABLES]
    if unknown:
        raise ValueError(
            f"Variáveis desconhecidas: {', '.join(unknown)}. Use: {', '.join(VARIABLES)}."
        )
    return WhatsAppTemplate(name=name, language=language, purpose=purpose, variables=names)


def stored_templates(stored: Any) -> list[WhatsAppTemplate]:
    """The channel's templates as stored in ``channels.templates``; malformed entries skipped."""
    found: list[WhatsAppTemplate] = []
    for item in stored if isinstance(stored, list) else []:
        try:
            found.append(
                make_template(
                    name=str(item["name"]),
                    language=str(item["language"]),
                    purpose=str(item["purpose"]),
                    variables=[str(v) for v in item.get("variables") or ()],
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return found


def pick(templates: Iterable[WhatsAppTemplate], purpose: str) -> WhatsAppTemplate | None:
    return next((t for t in templates if t.purpose == purpose), None)


def fill(template: WhatsAppTemplate, values: Mapping[str, str]) -> list[str]:
    """The body parameters in the template's order; WhatsApp refuses empty or multi-line ones."""
    filled = []
    for name in template.variables:
        value = " ".join(str(values.get(name) or "").split()) or "-"
        filled.append(value[:MAX_VARIABLE_CHARS])
    return filled
