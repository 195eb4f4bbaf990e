"""Where a lead came from: its source, its campaign and the details the channel gave.

A lead's ``source`` is one of ``SOURCES`` or ``portal:<name>`` (``portal:zap``,
``portal:vivareal``, ``portal:olx``). ``campaign`` is free text (an ad's headline, a form's
campaign); ``source_details`` keeps what arrived with it (Meta's click-to-WhatsApp
``referral``, the portal's lead and listing ids), bounded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vellarys.domain.message import clean_text

WHATSAPP = "whatsapp"  # wrote to the agency's number on their own
AD = "ad"  # a click-to-WhatsApp ad (Meta's referral block)
SITE = "site"  # the agency's website form, through the API
API = "api"  # another system, through the API
IMPORT = "import"  # a CSV import
MANUAL = "manual"  # typed in by staff
PORTAL = "portal"
SOURCES = (WHATSAPP, AD, SITE, API, IMPORT, MANUAL, PORTAL)
LABELS = {
    WHATSAPP: "WhatsApp direto",
    AD: "Anúncio (clique para WhatsApp)",
    SITE: "Site",
    API: "API",
    IMPORT: "Importação",
    MANUAL: "Cadastro manual",
    PORTAL: "Portal",
}
PORTAL_NAMES = {"zap": "ZAP Imóveis", "vivareal": "VivaReal", "olx": "OLX", "grupozap": "Grupo ZAP"}
MAX_SOURCE = 40
MAX_CAMPAIGN = 200
MAX_DETAIL_CHARS = 500
# The fields of Meta's ``referral`` object kept on the lead (the rest is in the message).
REFERRAL_FIELDS = (
    "source_url",
    "source_id",
    "source_type",
    "headline",
    "body",
    "media_type",
    "ctwa_clid",
)
_PORTAL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,30}$")


def check_source(source: str) -> str:
    """``source`` as stored; ``ValueError`` (in Portuguese) when it is none of the known ones."""
    value = source.strip().lower()
    base, sep, name = value.partition(":")
    if base == PORTAL and sep and _PORTAL_NAME.match(name):
        return value
    if value in SOURCES and value != PORTAL:
        return value
    raise ValueError(
        "Origem desconhecida: use "
        + ", ".join(s for s in SOURCES if s != PORTAL)
        + " ou portal:<nome>."
    )


def portal_source(origin: str | None) -> str:
    """``portal:<name>`` from what a portal says it is ("VivaReal", "Zap", "GrupoZap")."""
    name = re.sub(r"[^a-z0-9]", "", (origin or "").lower())[:30]
    return f"{PORTAL}:{name or 'grupozap'}"


def label(source: str | None) -> str:
    """What staff read for a source: "Portal · VivaReal", "Anúncio (clique para WhatsApp)"."""
    if not source:
        return LABELS[WHATSAPP]
    base, _, name = source.partition(":")
    if base == PORTAL:
        return f"Portal · {PORTAL_NAMES.get(name, name or 'portal')}"
    return LABELS.get(source, source)


def matches(source_filter: str) -> tuple[str, bool]:
    """How to filter by ``source_filter``: (value, prefix). "portal" takes every portal."""
    value = check_source(source_filter) if source_filter != PORTAL else PORTAL
    return (f"{PORTAL}:", True) if value == PORTAL else (value, False)


def referral_details(referral: Mapping[str, Any]) -> dict[str, str]:
    """The kept fields of Meta's click-to-WhatsApp ``referral``, cleaned and bounded."""
    kept: dict[str, str] = {}
    for key in REFERRAL_FIELDS:
        value = referral.get(key)
        if isinstance(value, (str, int)) and str(value).strip():
            kept[key] = clean_text(str(value)).strip()[:MAX_DETAIL_CHARS]
    return kept


def referral_campaign(details: Mapping[str, str]) -> str | None:
    """An ad's campaign as staff know it: its headline, else the ad's id."""
    campaign = details.get("headline") or details.get("source_id")
    return campaign[:MAX_CAMPAIGN] if campaign else None


def bounded_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Flat details a caller sent: string-like values only, each cut to its bound."""
    kept: dict[str, Any] = {}
    for key, value in list(details.items())[:20]:
        name = clean_text(str(key)).strip()[:60]
        if name and isinstance(value, (str, int, float, bool)):
            kept[name] = (
                clean_text(str(value))[:MAX_DETAIL_CHARS] if isinstance(value, str) else value
            )
    return kept
