"""The product's vocabularies and their Brazilian Portuguese labels, defined once.

Database check constraints, API schemas, dashboard templates and prompts all derive from
these enums; adding a stage or a property type is a change here (and a migration).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from vellarys.domain.budget import format_brl


class Stage(StrEnum):
    NEW = "new"
    QUALIFYING = "qualifying"
    QUALIFIED = "qualified"
    HANDED_OFF = "handed_off"
    LOST = "lost"
    WON = "won"


class Temperature(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class PropertyType(StrEnum):
    APARTMENT = "apartment"
    HOUSE = "house"
    CONDO_HOUSE = "condo_house"
    STUDIO = "studio"
    COMMERCIAL = "commercial"
    LAND = "land"


class Transaction(StrEnum):
    SALE = "sale"
    RENT = "rent"


class Intent(StrEnum):
    BUY = "buy"
    RENT = "rent"
    INVEST = "invest"
    SELL = "sell"  # an owner who wants to sell
    RENT_OUT = "rent_out"  # an owner who wants to rent theirs out
    SUPPORT = "support"  # a current client (tenant, landlord, buyer in progress)


class MessageType(StrEnum):
    TEXT = "text"
    INTERACTIVE = "interactive"
    AUDIO = "audio"
    IMAGE = "image"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    REACTION = "reaction"
    UNKNOWN = "unknown"
    CALL = "call"  # a voice or video call the lead made to the agency's WhatsApp


class HandoffStatus(StrEnum):
    OPEN = "open"
    RELEASED = "released"


class HandoffReason(StrEnum):
    HOT = "hot"
    REQUESTED = "requested"
    MANUAL = "manual"
    OWNER = "owner"  # an owner selling or renting out: whoever takes listings
    CLIENT = "client"  # a current client with a problem or request: whoever serves clients
    DELAYED = "delayed"  # the assistant could not answer in time, try after try: a person does


class AuditAction(StrEnum):
    """What the audit log records: every act staff or an API key does to a lead or the team."""

    LEAD_VIEWED = "lead.viewed"
    LEAD_EXPORTED = "lead.exported"  # one lead's data (LGPD)
    LEAD_ERASED = "lead.erased"
    LEADS_EXPORTED = "leads.exported"  # the leads list as CSV
    LEAD_TAKEN_OVER = "lead.taken_over"
    LEAD_GIVEN_BACK = "lead.given_back"
    LEAD_MESSAGE_SENT = "lead.message_sent"
    LEAD_STAGE_CHANGED = "lead.stage_changed"
    LEAD_ASSIGNED = "lead.assigned"
    DOCUMENT_UPLOADED = "document.uploaded"
    USER_CREATED = "user.created"
    LEAD_CREATED = "lead.created"
    LEAD_EDITED = "lead.edited"
    LEADS_IMPORTED = "leads.imported"
    LEAD_HANDED_OFF = "lead.handed_off"
    LEAD_NOTE_ADDED = "lead.note_added"
    OPPORTUNITY_OPENED = "opportunity.opened"
    OPPORTUNITY_CHANGED = "opportunity.changed"
    USER_UPDATED = "user.updated"
    USER_RESET_LINK_ISSUED = "user.reset_link_issued"
    LGPD_REQUESTED = "lgpd.requested"  # a lead asked in the chat (access, erasure, opt-out)
    LGPD_DONE = "lgpd.done"
    # The operator's console (``details.operator_id`` names who).
    PLAN_SAVED = "plan.saved"
    TENANT_PLAN_SET = "tenant.plan_set"
    TENANT_FEATURES_SET = "tenant.features_set"
    TENANT_SUSPENDED = "tenant.suspended"
    TENANT_RESUMED = "tenant.resumed"
    TENANT_CREATED = "tenant.created"
    SUPPORT_GRANTED = "support.granted"  # by the agency's admin
    SUPPORT_REVOKED = "support.revoked"
    SUPPORT_VIEWED = "support.viewed"  # an operator read the agency's leads


class Role(StrEnum):
    """Staff roles, from most to least power: a manager sees every lead and the figures but
    does not touch channels, keys or users; a broker sees their leads and the queue."""

    ADMIN = "admin"
    MANAGER = "manager"
    BROKER = "broker"


class OpportunityStage(StrEnum):
    NEW = "new"
    VISIT = "visit"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


class Speciality(StrEnum):
    SALE = "sale"
    RENT = "rent"
    COMMERCIAL = "commercial"
    HIGH_END = "high_end"


# Spellings the audit log used before ``AuditAction`` (migration 0006 maps stored rows).
LEGACY_AUDIT_ACTIONS: Mapping[str, AuditAction] = {
    "viewed": AuditAction.LEAD_VIEWED,
    "lead.view": AuditAction.LEAD_VIEWED,
    "exported": AuditAction.LEAD_EXPORTED,
    "erased": AuditAction.LEAD_ERASED,
    "took_over": AuditAction.LEAD_TAKEN_OVER,
    "lead.take_over": AuditAction.LEAD_TAKEN_OVER,
    "leads.export": AuditAction.LEADS_EXPORTED,
}


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored spellings of an enum, in declaration order (for check constraints)."""
    return tuple(member.value for member in enum)


STAGE_LABELS: Mapping[str, str] = {
    Stage.NEW: "Novo",
    Stage.QUALIFYING: "Qualificando",
    Stage.QUALIFIED: "Qualificado",
    Stage.HANDED_OFF: "Com corretor",
    Stage.LOST: "Perdido",
    Stage.WON: "Fechado",
}
ROLE_LABELS: Mapping[str, str] = {
    Role.ADMIN: "Administrador",
    Role.MANAGER: "Gerente",
    Role.BROKER: "Corretor",
}
OPPORTUNITY_STAGE_LABELS: Mapping[str, str] = {
    OpportunityStage.NEW: "Nova",
    OpportunityStage.VISIT: "Visita",
    OpportunityStage.PROPOSAL: "Proposta",
    OpportunityStage.NEGOTIATION: "Negociação",
    OpportunityStage.WON: "Ganha",
    OpportunityStage.LOST: "Perdida",
}
SPECIALITY_LABELS: Mapping[str, str] = {
    Speciality.SALE: "Venda",
    Speciality.RENT: "Locação",
    Speciality.COMMERCIAL: "Comercial",
    Speciality.HIGH_END: "Alto padrão",
}
AUDIT_ACTION_LABELS: Mapping[str, str] = {
    AuditAction.LEAD_CREATED: "Lead criado",
    AuditAction.LEAD_EDITED: "Dados editados",
    AuditAction.LEADS_IMPORTED: "Importado de CSV",
    AuditAction.LEAD_STAGE_CHANGED: "Etapa alterada",
    AuditAction.LEAD_ASSIGNED: "Corretor atribuído",
    AuditAction.LEAD_HANDED_OFF: "Repassado a um corretor",
    AuditAction.LEAD_TAKEN_OVER: "Conversa assumida",
    AuditAction.LEAD_GIVEN_BACK: "Devolvido à assistente",
    AuditAction.LEAD_MESSAGE_SENT: "Mensagem do corretor",
    AuditAction.LEAD_NOTE_ADDED: "Anotação",
    AuditAction.OPPORTUNITY_OPENED: "Oportunidade aberta",
    AuditAction.OPPORTUNITY_CHANGED: "Oportunidade alterada",
    AuditAction.LEAD_EXPORTED: "Dados exportados (LGPD)",
    AuditAction.LGPD_REQUESTED: "Pedido LGPD pelo chat",
    AuditAction.LGPD_DONE: "Pedido LGPD atendido",
}
TEMPERATURE_LABELS: Mapping[str, str] = {
    Temperature.COLD: "frio",
    Temperature.WARM: "morno",
    Temperature.HOT: "quente",
}
PROPERTY_TYPE_LABELS: Mapping[str, str] = {
    PropertyType.APARTMENT: "Apartamento",
    PropertyType.HOUSE: "Casa",
    PropertyType.CONDO_HOUSE: "Casa em condomínio",
    PropertyType.STUDIO: "Studio",
    PropertyType.COMMERCIAL: "Comercial",
    PropertyType.LAND: "Terreno",
}
TRANSACTION_LABELS: Mapping[str, str] = {Transaction.SALE: "Venda", Transaction.RENT: "Aluguel"}
INTENT_LABELS: Mapping[str, str] = {
    Intent.BUY: "Comprar",
    Intent.RENT: "Alugar",
    Intent.INVEST: "Investir",
    Intent.SELL: "Vender (proprietário)",
    Intent.RENT_OUT: "Alugar o seu imóvel (proprietário)",
    Intent.SUPPORT: "Já é cliente (suporte)",
}
MESSAGE_TYPE_LABELS: Mapping[str, str] = {
    MessageType.TEXT: "Texto",
    MessageType.INTERACTIVE: "Botão",
    MessageType.AUDIO: "Áudio",
    MessageType.IMAGE: "Imagem",
    MessageType.VIDEO: "Vídeo",
    MessageType.DOCUMENT: "Documento",
    MessageType.STICKER: "Figurinha",
    MessageType.LOCATION: "Localização",
    MessageType.CONTACTS: "Contato",
    MessageType.REACTION: "Reação",
    MessageType.UNKNOWN: "Outro",
    MessageType.CALL: "Ligação",
}
HANDOFF_STATUS_LABELS: Mapping[str, str] = {
    HandoffStatus.OPEN: "Aberto",
    HandoffStatus.RELEASED: "Devolvido à assistente",
}
HANDOFF_REASON_LABELS: Mapping[str, str] = {
    HandoffReason.HOT: "Lead quente",
    HandoffReason.REQUESTED: "Pediu um corretor",
    HandoffReason.MANUAL: "Manual",
    HandoffReason.OWNER: "Proprietário (captação)",
    HandoffReason.CLIENT: "Cliente (atendimento)",
    HandoffReason.DELAYED: "Assistente sem resposta a tempo",
}
# Manager alerts, by kind.
ALERT_KIND_LABELS: Mapping[str, str] = {
    "new_lead": "Novo lead",
    "hot_lead": "Lead quente",
    "after_hours_lead": "Lead fora do horário",
    "handoff_untaken": "Repasse sem corretor",
}
VISIT_STATUS_LABELS: Mapping[str, str] = {
    "proposed": "Proposta",
    "scheduled": "Agendada",
    "confirmed": "Confirmada",
    "done": "Realizada",
    "no_show": "Não compareceu",
    "cancelled": "Cancelada",
}
VISIT_OUTCOME_LABELS: Mapping[str, str] = {
    "done": "Realizada",
    "no_show": "Não compareceu",
    "liked": "Gostou do imóvel",
    "proposal": "Fez proposta",
}
# What became of one LLM reply (llm_traces.outcome).
LLM_OUTCOME_LABELS: Mapping[str, str] = {
    "answered": "Respondida pela IA",
    "repaired": "Corrigida e respondida pela IA",
    "fallback": "Recusada: respondeu o assistente offline",
    "error": "Erro do modelo: respondeu o assistente offline",
    "superseded": "Não enviada: a mensagem seguinte do lead foi respondida junto",
    "summary": "Resumo da conversa",
}
PAYMENT_LABELS: Mapping[str, str] = {
    "financing": "Financiamento",
    "fgts": "FGTS",
    "cash": "À vista",
    "consortium": "Consórcio",
    "trade": "Permuta",
}

# The qualification profile (``leads.custom_data``) as staff read it, in this order.
PROFILE_LABELS: Mapping[str, str] = {
    "name": "Nome",
    "email": "E-mail",
    "intent": "Objetivo",
    "property_type": "Tipo",
    "city": "Cidade",
    "neighborhoods": "Bairros",
    "budget_min": "Orçamento mínimo",
    "budget_max": "Orçamento máximo",
    "bedrooms": "Quartos",
    "parking": "Vagas",
    "timeline": "Prazo",
    "payment": "Pagamento",
    "pets": "Animais de estimação",
    "wants_human": "Pediu um corretor",
    "contact_time": "Horário para contato",
    "offer_amount": "Proposta do lead",
    "source": "Origem",
}
_VALUE_LABELS: Mapping[str, Mapping[str, str]] = {
    "intent": INTENT_LABELS,
    "property_type": PROPERTY_TYPE_LABELS,
    "payment": PAYMENT_LABELS,
}
_MONEY_KEYS = frozenset({"budget_min", "budget_max", "offer_amount"})


def label(labels: Mapping[str, str], value: str | None) -> str:
    """The pt-BR label of ``value``, or the value itself when it has none."""
    if value is None:
        return "—"
    return labels.get(value, value)


def profile_value(key: str, value: Any) -> str:
    """One profile value as staff read it: "R$ 5.000", "Apartamento", "sim", "Pinheiros, Lapa"."""
    if isinstance(value, list):
        return ", ".join(profile_value(key, item) for item in value)
    if isinstance(value, bool):
        return "sim" if value else "não"
    if key in _MONEY_KEYS and isinstance(value, int | float | Decimal):
        return format_brl(value)
    if isinstance(value, str) and key in _VALUE_LABELS:
        return _VALUE_LABELS[key].get(value, value)
    return str(value)


def profile_lines(profile: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(key, label, value)`` for every filled profile field: known keys first, in order."""
    filled = {k: v for k, v in profile.items() if v not in (None, "", [])}
    known = [k for k in PROFILE_LABELS if k in filled]
    other = sorted(k for k in filled if k not in PROFILE_LABELS)
    return [(key, _profile_label(key), profile_value(key, filled[key])) for key in (*known, *other)]


def _profile_label(key: str) -> str:
    return PROFILE_LABELS.get(key) or key.replace("_", " ").capitalize()
