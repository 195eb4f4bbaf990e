"""The assistant's settings as the agency admin edits them (``tenants.settings``).

The LLM API key is sealed with the deployment's secret key before it is stored and is never
read back to the dashboard: the form only says whether one is set.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.adapters.outbound import check_url
from vellarys.db.models import Tenant
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.address import UnsafeUrl
from vellarys.domain.business_hours import DEFAULT_TIMEZONE
from vellarys.domain.rate_limit import (
    AGENCY_LIMIT_KEY,
    AGENCY_LIMIT_RANGE,
    LEAD_LIMIT_KEY,
    LEAD_LIMIT_RANGE,
)
from vellarys.domain.scoring import HOT_THRESHOLD
from vellarys.domain.secretbox import open_sealed, seal
from vellarys.errors import BadRequest, NotFound

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "mon": "Segunda",
    "tue": "Terça",
    "wed": "Quarta",
    "thu": "Quinta",
    "fri": "Sexta",
    "sat": "Sábado",
    "sun": "Domingo",
}
TONES = {
    "cordial e objetivo": "Cordial e objetivo",
    "formal": "Formal",
    "amigavel": "Amigável",
    "casual": "Descontraído",
}
# What a new agency gets until it saves the form (follow-ups and reactivation on).
_DEFAULTS: dict[str, Any] = {
    "timezone": DEFAULT_TIMEZONE,
    "follow_up_enabled": True,
    "follow_up_count": 3,
    "follow_up_delays_hours": [24, 48, 72],
    "reactivation_enabled": True,
    "reactivation_days": 45,
    "handoff_alert_minutes": 15,
    "briefing_enabled": True,
    "briefing_hour": 8,
    "briefing_whatsapp": False,
}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_TEXT_LIMITS = {
    "persona_name": 60,
    "agency_name": 200,
    "greeting": 1000,
    "after_hours_message": 1000,
    # The confirmation a lead gets for an LGPD request in the chat (empty: ours).
    "lgpd_access_reply": 1000,
    "lgpd_erase_reply": 1000,
}


class InvalidSettings(BadRequest):
    """Corrija os campos destacados."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Corrija os campos destacados: " + " ".join(errors.values()))
        self.errors = errors  # field -> message


@dataclass(frozen=True, slots=True)
class LlmView:
    base_url: str
    model: str
    has_key: bool


async def _tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await tenant_queries.get(session, tenant_id)
    if tenant is None:
        raise NotFound("Imobiliária não encontrada.")
    return tenant


async def read_settings(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The settings for the form, with the LLM key replaced by whether one is stored."""
    tenant = await _tenant(session, tenant_id)
    settings = {**_DEFAULTS, **(tenant.settings or {})}
    llm = dict(settings.get("llm") or {})
    settings["llm"] = LlmView(
        base_url=str(llm.get("base_url") or ""),
        model=str(llm.get("model") or ""),
        has_key=bool(llm.get("api_key")),
    )
    return settings


async def save_settings(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    form: Mapping[str, str],
    secret_key: str,
    allow_private_urls: bool = False,
) -> dict[str, Any]:
    """Validate the whole form, then store it; ``InvalidSettings`` and nothing stored otherwise.

    An empty key field keeps the stored key; ``llm_clear_key`` removes it. The LLM URL must
    not lead to an internal address unless ``allow_private_urls``.
    """
    tenant = await _tenant(session, tenant_id)
    current = dict(tenant.settings or {})
    errors: dict[str, str] = {}
    updated = {**current, **_texts(form, errors), **_behaviour(form, errors)}
    updated["business_hours"] = _hours(form, errors)
    updated.update(_calendar(form, errors))
    updated.update(_follow_ups(form, errors))
    updated.update(_rate_limits(form, errors))
    updated.update(_briefing(form, errors))
    updated["llm"] = _llm(form, dict(current.get("llm") or {}), errors, secret_key)
    if updated["llm"]["base_url"] and "llm_base_url" not in errors:
        try:
            await check_url(updated["llm"]["base_url"], allow_private=allow_private_urls)
        except UnsafeUrl as exc:
            errors["llm_base_url"] = f"URL da API recusada: {exc}."
    if errors:
        raise InvalidSettings(errors)
    tenant.settings = updated  # a new dict, so SQLAlchemy sees the JSONB change
    await session.flush()
    return updated


def _texts(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    values = {key: (form.get(key) or "").strip() for key in _TEXT_LIMITS}
    for key, limit in _TEXT_LIMITS.items():
        if len(values[key]) > limit:
            errors[key] = f"Use no máximo {limit} caracteres."
    if not values["persona_name"]:
        errors["persona_name"] = "Dê um nome à assistente."
    if not values["agency_name"]:
        errors["agency_name"] = "Informe o nome da imobiliária."
    tone = (form.get("tone") or "").strip()
    if tone not in TONES:
        errors["tone"] = "Escolha um dos tons da lista."
    return {**values, "tone": tone}


def _behaviour(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    threshold_text = (form.get("handoff_threshold") or str(HOT_THRESHOLD)).strip()
    threshold = int(threshold_text) if threshold_text.isdigit() else -1
    if not 40 <= threshold <= 100:
        errors["handoff_threshold"] = "A pontuação de repasse vai de 40 a 100."
    return {
        "handoff_threshold": threshold,
        "qualification_enabled": form.get("qualification_enabled") == "on",
    }


def _hours(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, list[str] | None]:
    hours: dict[str, list[str] | None] = {}
    for day in DAYS:
        opens = (form.get(f"hours_{day}_open") or "").strip()
        closes = (form.get(f"hours_{day}_close") or "").strip()
        if not opens and not closes:
            hours[day] = None
            continue
        if not (_TIME.match(opens) and _TIME.match(closes)) or opens >= closes:
            errors[f"hours_{day}"] = f"{DAY_NAMES[day]}: use HH:MM, abrindo antes de fechar."
        hours[day] = [opens, closes]
    return hours


def _calendar(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The agency's time zone and its own closed days (one date a line, 25/12/2026 or ISO)."""
    zone = (form.get("timezone") or DEFAULT_TIMEZONE).strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "Fuso horário desconhecido (ex.: America/Sao_Paulo)."
    days: list[str] = []
    for line in (form.get("closed_days") or "").split():
        parsed = _date(line.strip().rstrip(","))
        if parsed is None:
            errors["closed_days"] = f"Data inválida: {line[:20]!r}. Use 25/12/2026."
            break
        days.append(parsed.isoformat())
    return {"timezone": zone, "closed_days": sorted(set(days))}


def _date(text: str) -> date | None:
    day, _, rest = text.partition("/")
    try:
        if rest:
            month, _, year = rest.partition("/")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        return None


def _follow_ups(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """Follow-ups (count and hours after the last message), reactivation and alert timing."""
    count = _number(form, "follow_up_count", 3, 0, 5, errors, "De 0 a 5 follow-ups.")
    delays = [p.strip() for p in (form.get("follow_up_delays_hours") or "").split(",") if p.strip()]
    hours = [int(p) for p in delays if p.isdigit() and 1 <= int(p) <= 720]
    if not delays:  # left blank: a day apart each
        hours = delays_default = [24 * (i + 1) for i in range(count)]
        delays = [str(h) for h in delays_default]
    if len(hours) != len(delays) or hours != sorted(set(hours)) or len(hours) < count:
        errors["follow_up_delays_hours"] = (
            f"Informe {count} intervalos crescentes em horas, separados por vírgula "
            "(ex.: 24, 48, 72)."
        )
    return {
        "follow_up_enabled": form.get("follow_up_enabled") == "on",
        "follow_up_count": count,
        "follow_up_delays_hours": hours,
        "reactivation_enabled": form.get("reactivation_enabled") == "on",
        "reactivation_days": _number(
            form, "reactivation_days", 45, 7, 365, errors, "De 7 a 365 dias."
        ),
        "notify_hot_any_hour": form.get("notify_hot_any_hour") == "on",
        "handoff_alert_minutes": _number(
            form, "handoff_alert_minutes", 15, 1, 1440, errors, "De 1 a 1440 minutos."
        ),
    }


def _rate_limits(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, int | None]:
    """The agency's own messages-per-minute limits; blank keeps the deployment's default."""
    found: dict[str, int | None] = {}
    for key, (low, high) in (
        (LEAD_LIMIT_KEY, LEAD_LIMIT_RANGE),
        (AGENCY_LIMIT_KEY, AGENCY_LIMIT_RANGE),
    ):
        text = (form.get(key) or "").strip()
        if text and not (text.isdigit() and low <= int(text) <= high):
            errors[key] = (
                f"Use um número de {low} a {high:,}".replace(",", ".") + ", ou deixe em branco."
            )
        found[key] = int(text) if text and key not in errors else None
    return found


def _briefing(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The managers' morning e-mail, its WhatsApp copy and the local hour they go out."""
    return {
        "briefing_enabled": form.get("briefing_enabled") == "on",
        "briefing_whatsapp": form.get("briefing_whatsapp") == "on",
        "briefing_hour": _number(form, "briefing_hour", 8, 0, 23, errors, "De 0 a 23 horas."),
    }


def _number(
    form: Mapping[str, str],
    key: str,
    default: int,
    low: int,
    high: int,
    errors: dict[str, str],
    message: str,
) -> int:
    text = (form.get(key) or "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        errors[key] = message
        return default
    return int(text)


def _llm(
    form: Mapping[str, str], current: dict[str, Any], errors: dict[str, str], secret_key: str
) -> dict[str, Any]:
    base_url = (form.get("llm_base_url") or "").strip().rstrip("/")
    model = (form.get("llm_model") or "").strip()
    key = (form.get("llm_api_key") or "").strip()
    if base_url and not re.match(r"^https?://[^\s]+$", base_url):
        errors["llm_base_url"] = "Informe a URL da API começando com http:// ou https://."
    if base_url and not model:
        errors["llm_model"] = "Informe o modelo (ex.: gpt-4o-mini)."
    llm = {"base_url": base_url, "model": model, "api_key": current.get("api_key")}
    if form.get("llm_clear_key") == "on":
        llm["api_key"] = None
    elif key:
        llm["api_key"] = seal(key, secret_key=secret_key)
    return llm


def llm_api_key(settings: Mapping[str, Any], *, secret_key: str) -> str | None:
    """The agency's LLM key in clear, for the code that calls the model (never for display)."""
    sealed = (settings.get("llm") or {}).get("api_key")
    return open_sealed(sealed, secret_key=secret_key) if sealed else None
