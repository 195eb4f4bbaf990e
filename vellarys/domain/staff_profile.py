"""A staff member's routing profile as typed changes, read from form or command-line text.

Only the fields given change; a field given empty is cleared. Every problem is a
``BadRequest`` naming the field, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from vellarys.domain.glossary import SPECIALITY_LABELS, Role, Speciality
from vellarys.domain.phone import normalize_phone
from vellarys.errors import BadRequest

MAX_AREAS = 50
MAX_AREA_CHARS = 120
MAX_CAP = 1000
TRUE_WORDS = frozenset({"1", "true", "on", "sim", "yes"})
FALSE_WORDS = frozenset({"0", "false", "off", "nao", "não", "no"})


def profile_changes(fields: Mapping[str, str | None]) -> dict[str, Any]:
    """The columns to write: ``phone``, ``areas``, ``specialities``, ``daily_lead_cap``,
    ``available``, ``vacation_from``, ``vacation_until``, ``role``."""
    changes: dict[str, Any] = {}
    if "phone" in fields:
        changes["phone"] = _phone(fields["phone"])
    places = {k: _places(fields[k], k) for k in ("neighborhoods", "cities") if k in fields}
    if places:
        changes["areas"] = places
    if "specialities" in fields:
        changes["specialities"] = _specialities(fields["specialities"])
    if "daily_lead_cap" in fields:
        changes["daily_lead_cap"] = _cap(fields["daily_lead_cap"])
    if "available" in fields:
        changes["available"] = _flag(fields["available"])
    for key in ("vacation_from", "vacation_until"):
        if key in fields:
            changes[key] = _day(fields[key])
    start, end = changes.get("vacation_from"), changes.get("vacation_until")
    if start is not None and end is not None and start > end:
        raise BadRequest("As férias terminam antes de começar.")
    if "role" in fields:
        changes["role"] = _role(fields["role"])
    return changes


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _phone(value: str | None) -> str | None:
    if _blank(value):
        return None
    try:
        return normalize_phone(str(value))
    except ValueError as exc:
        raise BadRequest("Informe um WhatsApp válido, com DDD.") from exc


def _places(value: str | None, key: str) -> list[str]:
    items = [" ".join(p.split()) for p in (value or "").replace(";", ",").split(",")]
    items = list(dict.fromkeys(p for p in items if p))
    label = "bairros" if key == "neighborhoods" else "cidades"
    if len(items) > MAX_AREAS or any(len(p) > MAX_AREA_CHARS for p in items):
        raise BadRequest(f"Informe no máximo {MAX_AREAS} {label} de até {MAX_AREA_CHARS} letras.")
    return items


def _specialities(value: str | None) -> list[str]:
    by_label = {label.lower(): key for key, label in SPECIALITY_LABELS.items()}
    found: list[str] = []
    for raw in (value or "").replace(";", ",").split(","):
        item = raw.strip().lower()
        if not item:
            continue
        key = item if item in set(Speciality) else by_label.get(item)
        if key is None:
            known = ", ".join(Speciality)
            raise BadRequest(f"Especialidade desconhecida: {raw.strip()[:40]}. Use {known}.")
        found.append(str(key))
    return list(dict.fromkeys(found))


def _cap(value: str | None) -> int | None:
    if _blank(value):
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) > MAX_CAP:
        raise BadRequest(f"O limite diário é um número de 0 a {MAX_CAP}.")
    return int(text)


def _flag(value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS or not text:
        return False
    raise BadRequest("Disponível: use sim ou não.")


def _day(value: str | None) -> date | None:
    if _blank(value):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise BadRequest(f"Data inválida: {str(value)[:20]}. Use AAAA-MM-DD.") from exc


def _role(value: str | None) -> str:
    text = (value or "").strip().lower()
    if text not in set(Role):
        raise BadRequest("Papel: administrador (admin), gerente (manager) ou corretor (broker).")
    return text
