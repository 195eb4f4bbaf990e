"""Templates and the filters they use (dates in the agency's zone, BRL, labels)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.templating import Jinja2Templates, _TemplateResponse

from vellarys.domain.budget import format_brl
from vellarys.domain.scoring import TEMPERATURE_LABELS
from vellarys.domain.template import PURPOSES, VARIABLES
from vellarys.web.session import csrf_token, take_flashes

TEMPLATES = Path(__file__).parent / "templates"
ZONE = ZoneInfo("America/Sao_Paulo")

STAGE_LABELS = {
    "new": "Novo",
    "qualifying": "Qualificando",
    "qualified": "Qualificado",
    "handed_off": "Com corretor",
    "lost": "Perdido",
    "won": "Fechado",
}
ROLE_LABELS = {"admin": "Administrador", "broker": "Corretor"}
STATUS_TICKS = {
    "pending": ("🕓", "pendente"),
    "sent": ("✓", "enviada"),
    "delivered": ("✓✓", "entregue"),
    "read": ("✓✓", "lida"),
    "failed": ("⚠", "falhou"),
    "received": ("", "recebida"),
}
PROVIDER_LABELS = {
    "meta": "WhatsApp Cloud API (Meta)",
    "zapi": "Z-API",
    "evolution": "Evolution API",
    "simulator": "Simulador",
}


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


def profile_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "sim" if value else "não"
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 1000:
        return format_brl(value)
    return str(value)


templates = Jinja2Templates(directory=TEMPLATES)
templates.env.filters.update(
    local_time=local_time,
    brl=brl,
    duration=duration,
    profile_value=profile_value,
    temperature=lambda t: TEMPERATURE_LABELS.get(t, t),
    stage=lambda s: STAGE_LABELS.get(s, s),
    role=lambda r: ROLE_LABELS.get(r, r),
    provider=lambda p: PROVIDER_LABELS.get(p, p),
)
templates.env.globals.update(
    STAGE_LABELS=STAGE_LABELS,
    TEMPERATURE_LABELS=TEMPERATURE_LABELS,
    STATUS_TICKS=STATUS_TICKS,
    ROLE_LABELS=ROLE_LABELS,
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
