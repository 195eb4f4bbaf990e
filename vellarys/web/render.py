"""Templates and the filters they use (dates in the agency's zone, BRL, labels)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.templating import Jinja2Templates, _TemplateResponse

from vellarys.adapters.whatsapp import REGISTRY
from vellarys.domain import glossary, lead_source
from vellarys.domain.budget import format_brl
from vellarys.domain.glossary import STAGE_LABELS, TEMPERATURE_LABELS
from vellarys.domain.lead_form import form_text
from vellarys.domain.template import PURPOSES, VARIABLES
from vellarys.web.session import csrf_token, take_flashes

TEMPLATES = Path(__file__).parent / "templates"
ZONE = ZoneInfo("America/Sao_Paulo")

ROLE_LABELS = glossary.ROLE_LABELS
STATUS_TICKS = {
    "pending": ("🕓", "pendente"),
    "uncertain": ("⚠", "envio incerto: aguardando confirmação do WhatsApp"),
    "sent": ("✓", "enviada"),
    "delivered": ("✓✓", "entregue"),
    "read": ("✓✓", "lida"),
    "failed": ("⚠", "falhou"),
    "received": ("", "recebida"),
}
PROVIDER_LABELS = {name: spec.label for name, spec in REGISTRY.items()}


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZONE).strftime(fmt)


def brl(value: int | float | Decimal | None) -> str:
    return "—" if value is None else format_brl(value)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min".replace(".", ",")
    return f"{seconds / 3600:.1f} h".replace(".", ",")


templates = Jinja2Templates(directory=TEMPLATES)
templates.env.filters.update(
    local_time=local_time,
    brl=brl,
    duration=duration,
    profile_value=glossary.profile_value,
    profile_lines=glossary.profile_lines,
    property_type=lambda t: glossary.label(glossary.PROPERTY_TYPE_LABELS, t),
    transaction=lambda t: glossary.label(glossary.TRANSACTION_LABELS, t),
    handoff_reason=lambda r: glossary.label(glossary.HANDOFF_REASON_LABELS, r),
    handoff_status=lambda s: glossary.label(glossary.HANDOFF_STATUS_LABELS, s),
    message_type=lambda t: glossary.label(glossary.MESSAGE_TYPE_LABELS, t),
    temperature=lambda t: TEMPERATURE_LABELS.get(t, t),
    stage=lambda s: STAGE_LABELS.get(s, s),
    role=lambda r: ROLE_LABELS.get(r, r),
    provider=lambda p: PROVIDER_LABELS.get(p, p),
    opportunity_stage=lambda s: glossary.label(glossary.OPPORTUNITY_STAGE_LABELS, s),
    speciality=lambda s: glossary.label(glossary.SPECIALITY_LABELS, s),
    audit_action=lambda a: glossary.label(glossary.AUDIT_ACTION_LABELS, a),
    form_text=lambda value, key: form_text(key, value),
    lead_source=lead_source.label,
)
templates.env.globals.update(
    STAGE_LABELS=STAGE_LABELS,
    TEMPERATURE_LABELS=TEMPERATURE_LABELS,
    PROPERTY_TYPE_LABELS=glossary.PROPERTY_TYPE_LABELS,
    TRANSACTION_LABELS=glossary.TRANSACTION_LABELS,
    STATUS_TICKS=STATUS_TICKS,
    ROLE_LABELS=ROLE_LABELS,
    OPPORTUNITY_STAGE_LABELS=glossary.OPPORTUNITY_STAGE_LABELS,
    SPECIALITY_LABELS=glossary.SPECIALITY_LABELS,
    template_purposes=PURPOSES,
    template_variables=list(VARIABLES),
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> _TemplateResponse:
    values = {
        "viewer": getattr(request.state, "viewer", None),
        "csrf": csrf_token(request),
        "flashes": take_flashes(request) if not name.startswith("_") else [],
        "path": request.url.path,
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, values, status_code=status)
