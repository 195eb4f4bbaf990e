"""A lead as the portals post it to an agency's CRM (Grupo OLX's lead integration: ZAP
Imóveis, VivaReal, OLX), read into plain fields. Pure: no I/O.

The contract: ``leadOrigin``, ``timestamp``, ``originLeadId``, ``originListingId``,
``clientListingId`` (the agency's own listing code, as published in the feed), ``name``,
``email``, ``ddd`` + ``phone`` (or the older ``phoneNumber``), ``message``; newer posts may
add ``temperature``, ``transactionType`` and ``extraData``. A post without the portal's lead
id, the listing code or a phone is refused (the portal keeps it and retries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vellarys.domain.lead_source import portal_source
from vellarys.domain.message import clean_text

MAX_FIELD = 4096
_DETAIL_FIELDS = ("originListingId", "timestamp", "temperature", "transactionType", "leadOrigin")


class InvalidPortalLead(ValueError):
    """The post cannot be a lead; ``str(exc)`` says why (Portuguese)."""


@dataclass(frozen=True, slots=True)
class PortalLead:
    lead_id: str
    source: str
    listing_code: str
    phone: str
    name: str | None
    email: str | None
    message: str | None
    details: dict[str, Any] = field(default_factory=dict)


def _text(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InvalidPortalLead(f"O campo {key} precisa ser texto.")
    text = clean_text(str(value)).strip()
    if len(text) > MAX_FIELD:
        raise InvalidPortalLead(f"O campo {key} passa de {MAX_FIELD} caracteres.")
    return text or None


def read_portal_lead(payload: Any) -> PortalLead:
    """The lead in a portal's post; ``InvalidPortalLead`` when it lacks what a lead needs."""
    if not isinstance(payload, Mapping):
        raise InvalidPortalLead("O corpo precisa ser um objeto JSON.")
    lead_id = _text(payload, "originLeadId")
    code = _text(payload, "clientListingId")
    if not lead_id:
        raise InvalidPortalLead("Falta originLeadId (o id do lead no portal).")
    if not code:
        raise InvalidPortalLead("Falta clientListingId (o código do imóvel).")
    ddd, phone = _text(payload, "ddd") or "", _text(payload, "phone") or ""
    number = (ddd + phone) if phone and len(phone) <= 9 else phone
    number = number or _text(payload, "phoneNumber") or ""
    if not number:
        raise InvalidPortalLead("Falta o telefone do lead (ddd e phone).")
    details = {key: v for key in _DETAIL_FIELDS if (v := _text(payload, key))}
    details["portal_lead_id"] = lead_id
    return PortalLead(
        lead_id=lead_id[:200],
        source=portal_source(_text(payload, "leadOrigin")),
        listing_code=code[:32],
        phone=number,
        name=_text(payload, "name"),
        email=_text(payload, "email"),
        message=_text(payload, "message"),
        details=details,
    )
