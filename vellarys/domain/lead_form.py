"""A lead as staff type it: profile fields, tags and CSV rows read into checked values.

Profile values are held to the same schema as the assistant's profile tool
(``prompt.checked_profile_value``); anything it refuses is an ``InvalidLead`` that names the
field, so nothing is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from vellarys.domain.budget import parse_budget
from vellarys.domain.glossary import PROFILE_LABELS, Stage
from vellarys.domain.phone import normalize_phone
from vellarys.domain.prompt import PROFILE_KEYS, checked_profile_value
from vellarys.errors import BadRequest

# The profile fields the edit form and the CSV import take (not the assistant's flags).
EDITABLE = tuple(k for k in PROFILE_KEYS if k not in ("name", "wants_human"))
LISTS = frozenset({"neighborhoods", "payment"})
MONEY = frozenset({"budget_min", "budget_max"})
MAX_TAGS = 20
MAX_TAG_CHARS = 40
MAX_NAME_CHARS = 200
MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_FIELD_CHARS = 2000
CSV_ALIASES = {
    "telefone": "phone",
    "whatsapp": "phone",
    "celular": "phone",
    "nome": "name",
    "e-mail": "email",
    "origem": "source",
    "etapa": "stage",
    "etiquetas": "tags",
    "cidade": "city",
    "bairros": "neighborhoods",
    "objetivo": "intent",
    "tipo": "property_type",
    "orcamento_max": "budget_max",
    "orçamento_max": "budget_max",
    "orcamento_min": "budget_min",
    "orçamento_min": "budget_min",
    "quartos": "bedrooms",
    "vagas": "parking",
}
CSV_COLUMNS = frozenset({"phone", "name", "source", "stage", "tags", *EDITABLE})


class InvalidLead(BadRequest):
    """Corrija os campos do lead."""

    status_code = 422

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


def form_text(key: str, stored: Any) -> str:
    """A stored profile value as the edit form shows it (and reads it back)."""
    if stored is None:
        return ""
    if key in LISTS and isinstance(stored, list):
        return ", ".join(str(item) for item in stored)
    return str(stored)


def profile_changes(
    fields: Mapping[str, str | None], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The profile keys given in ``fields`` with their checked values (None: clear it).
    A field sent back as ``current`` shows it is left alone, whatever the assistant stored."""
    changes: dict[str, Any] = {}
    errors: list[str] = []
    for key in EDITABLE:
        if key not in fields:
            continue
        text = (fields[key] or "").strip()
        if current is not None and text == form_text(key, current.get(key)).strip():
            continue
        if not text:
            changes[key] = None
            continue
        try:
            changes[key] = checked_profile_value(key, _typed(key, text))
        except ValueError:
            errors.append(f"{PROFILE_LABELS.get(key, key)}: valor inválido ({text[:40]}).")
    if errors:
        raise InvalidLead(errors)
    return changes


def _typed(key: str, text: str) -> Any:
    if key in LISTS:
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if key in MONEY:
        budget = parse_budget(text, assume_money=True)
        return (budget.maximum or budget.minimum) if budget else text
    if key == "pets":
        return {"sim": True, "true": True, "não": False, "nao": False, "false": False}.get(
            text.lower(), text
        )
    return text


def tags_from_text(text: str | None) -> list[str]:
    tags = [" ".join(t.split()) for t in (text or "").replace(";", ",").split(",")]
    tags = list(dict.fromkeys(t for t in tags if t))
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in tags):
        raise InvalidLead([f"Use no máximo {MAX_TAGS} etiquetas de até {MAX_TAG_CHARS} letras."])
    return tags


def lead_name(text: str | None) -> str | None:
    name = " ".join((text or "").split())
    if len(name) > MAX_NAME_CHARS:
        raise InvalidLead([f"O nome tem no máximo {MAX_NAME_CHARS} caracteres."])
    return name or None


def lead_phone(text: str | None) -> str:
    try:
        return normalize_phone((text or "").strip())
    except ValueError as exc:
        raise InvalidLead(["Informe um WhatsApp válido, com DDD."]) from exc


def lead_stage(text: str | None) -> str | None:
    stage = (text or "").strip()
    if stage and stage not in set(Stage):
        raise InvalidLead([f"Etapa desconhecida: use {', '.join(Stage)}."])
    return stage or None


def read_lead_csv(content: bytes) -> list[tuple[int, dict[str, str]]]:
    """``(line, {column: text})`` of every non-empty row; ``BadRequest`` for an unusable file."""
    if not content.strip():
        raise BadRequest("O arquivo CSV está vazio.")
    if len(content) > MAX_IMPORT_BYTES:
        raise BadRequest("O arquivo passa de 5 MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("Salve o CSV em UTF-8 e envie de novo.") from exc
    if "\x00" in text:
        raise BadRequest("O arquivo tem um caractere nulo. Salve-o de novo como CSV.")
    first = text.splitlines()[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if ";" in first else ",")
    header = [_column(n) for n in reader.fieldnames or []]
    if "phone" not in header:
        raise BadRequest("Falta a coluna telefone no CSV.")
    return _rows(reader)


def _rows(reader: csv.DictReader[str]) -> list[tuple[int, dict[str, str]]]:
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            if len(rows) >= MAX_IMPORT_ROWS:
                raise BadRequest(f"Importe no máximo {MAX_IMPORT_ROWS} leads por arquivo.")
            cells = {_column(k): (v or "") for k, v in row.items() if isinstance(k, str)}
            if any(len(v) > MAX_FIELD_CHARS for v in cells.values()):
                raise BadRequest(f"Linha {reader.line_num}: um campo é longo demais.")
            if any(v.strip() for v in cells.values()):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise BadRequest(f"Linha {reader.line_num + 1}: CSV ilegível.") from exc
    if not rows:
        raise BadRequest("O CSV não tem nenhum lead.")
    return rows


def _column(name: str) -> str:
    key = name.strip().lower()
    return CSV_ALIASES.get(key, key)
