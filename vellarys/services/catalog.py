"""The agency's listings as staff edit them: create, edit, deactivate, and CSV import.

Every change enqueues the embedding job in the same transaction, so a listing is never
searchable with stale text for longer than the worker takes. A CSV import is all or nothing:
one bad row and nothing is written, and the report says what to fix on which line.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Property
from vellarys.db.queries import property as property_queries
from vellarys.errors import BadRequest, NotFound

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
TYPE_NAMES = {
    "apartment": "Apartamento",
    "house": "Casa",
    "condo_house": "Casa em condomínio",
    "studio": "Studio",
    "commercial": "Comercial",
    "land": "Terreno",
}
TRANSACTION_NAMES = {"sale": "Venda", "rent": "Aluguel"}
_TYPE_ALIASES = {
    **{name.lower(): key for key, name in TYPE_NAMES.items()},
    **{key: key for key in TYPE_NAMES},
    "apto": "apartment",
    "ap": "apartment",
    "kitnet": "studio",
    "sala": "commercial",
    "loja": "commercial",
    "lote": "land",
    "casa de condominio": "condo_house",
}
_TRANSACTION_ALIASES = {
    "sale": "sale",
    "venda": "sale",
    "rent": "rent",
    "aluguel": "rent",
    "locacao": "rent",
    "locação": "rent",
}
# Portuguese column names accepted in the CSV header, besides the English ones.
COLUMN_ALIASES = {
    "codigo": "code",
    "código": "code",
    "titulo": "title",
    "título": "title",
    "tipo": "property_type",
    "transacao": "transaction",
    "transação": "transaction",
    "preco": "price",
    "preço": "price",
    "valor": "price",
    "condominio": "condo_fee",
    "condomínio": "condo_fee",
    "quartos": "bedrooms",
    "suites": "suites",
    "suítes": "suites",
    "banheiros": "bathrooms",
    "vagas": "parking",
    "area": "area_m2",
    "área": "area_m2",
    "area_m2": "area_m2",
    "bairro": "neighborhood",
    "cidade": "city",
    "uf": "state",
    "estado": "state",
    "endereco": "address",
    "endereço": "address",
    "descricao": "description",
    "descrição": "description",
    "caracteristicas": "features",
    "características": "features",
    "fotos": "photos",
}
REQUIRED = ("code", "title", "property_type", "transaction", "price", "neighborhood", "city")
_COUNTS = ("bedrooms", "suites", "bathrooms", "parking")
_AMOUNTS = ("condo_fee", "iptu", "area_m2")
_URL = re.compile(r"^https?://[^\s]+$")
_LABELS = {
    "code": "código",
    "title": "título",
    "property_type": "tipo",
    "transaction": "transação",
    "price": "preço",
    "neighborhood": "bairro",
    "city": "cidade",
}


def parse_listing(raw: Mapping[str, str | None]) -> tuple[dict[str, Any], list[str]]:
    """A listing's column values from form or CSV text, and what is wrong with them (Portuguese)."""
    text = {key: (value or "").strip() for key, value in raw.items()}
    errors = [f"Informe {_LABELS[key]}." for key in REQUIRED if not text.get(key)]
    values: dict[str, Any] = {
        key: text.get(key, "") for key in ("code", "title", "neighborhood", "city", "description")
    }
    values["address"] = text.get("address") or None
    values["state"] = (text.get("state") or "SP").upper()
    if len(values["state"]) != 2:
        errors.append("UF deve ter 2 letras (ex.: SP).")
    if len(values["code"]) > 32:
        errors.append("O código tem no máximo 32 caracteres.")
    _choice(text, "property_type", _TYPE_ALIASES, values, errors, "Tipo desconhecido")
    _choice(
        text, "transaction", _TRANSACTION_ALIASES, values, errors, "Transação: venda ou aluguel"
    )
    for key in ("price", *_AMOUNTS):
        _number(text, key, values, errors)
    for key in _COUNTS:
        _count(text, key, values, errors)
    values["features"] = [
        f.strip() for f in re.split(r"[|;\n]", text.get("features", "")) if f.strip()
    ]
    values["photos"] = [p for p in re.split(r"[\s|;,]+", text.get("photos", "")) if p]
    bad = [p for p in values["photos"] if not _URL.match(p)]
    if bad:
        errors.append(f"Foto sem endereço http(s) válido: {bad[0][:80]}")
    return values, errors


def _choice(
    text: Mapping[str, str],
    key: str,
    aliases: Mapping[str, str],
    values: dict[str, Any],
    errors: list[str],
    message: str,
) -> None:
    given = text.get(key, "")
    if not given:
        return
    chosen = aliases.get(given.lower())
    if chosen is None:
        errors.append(f"{message}: {given!r}.")
    values[key] = chosen


def _number(text: Mapping[str, str], key: str, values: dict[str, Any], errors: list[str]) -> None:
    given = text.get(key, "")
    values[key] = None
    if not given:
        return
    amount = parse_amount(given)
    if amount is None or amount < 0:
        errors.append(f"Valor inválido em {_LABELS.get(key, key)}: {given!r}.")
    values[key] = amount


def _count(text: Mapping[str, str], key: str, values: dict[str, Any], errors: list[str]) -> None:
    given = text.get(key, "")
    values[key] = 0
    if not given:
        return
    if not given.isdigit() or int(given) > 99:
        errors.append(f"Número inválido em {key}: {given!r}.")
        return
    values[key] = int(given)


def parse_amount(text: str) -> Decimal | None:
    """ "R$ 750.000", "750000", "3.500,50" or "3500.50" as a Decimal; None when unreadable."""
    cleaned = text.replace("R$", "").replace(" ", "").replace("\u00a0", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(".") > 1 or re.search(r"\.\d{3}$", cleaned):
        cleaned = cleaned.replace(".", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount < Decimal("1e12") else None


async def _enqueue_indexing(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    await queue.defer_index_properties(session, tenant_id=tenant_id)


async def _by_code(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> Property | None:
    found = await session.execute(
        select(Property).where(Property.tenant_id == tenant_id, Property.code == code)
    )
    return found.scalar_one_or_none()


class InvalidListing(BadRequest):
    """O imóvel tem dados inválidos."""

    status_code = 422

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


async def create_property(
    session: AsyncSession, *, tenant_id: uuid.UUID, raw: Mapping[str, str | None]
) -> Property:
    values, errors = parse_listing(raw)
    if not errors and await _by_code(session, tenant_id, values["code"]) is not None:
        errors.append(f"Já existe um imóvel com o código {values['code']}.")
    if errors:
        raise InvalidListing(errors)
    prop = Property(id=uuid.uuid4(), tenant_id=tenant_id, available=True, **values)
    session.add(prop)
    await session.flush()
    await _enqueue_indexing(session, tenant_id)
    return prop


async def get_property(
    session: AsyncSession, *, tenant_id: uuid.UUID, property_id: uuid.UUID
) -> Property:
    prop = await property_queries.get(session, tenant_id, property_id)
    if prop is None:
        raise NotFound("Imóvel não encontrado.")
    return prop


async def update_property(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    property_id: uuid.UUID,
    raw: Mapping[str, str | None],
) -> Property:
    prop = await get_property(session, tenant_id=tenant_id, property_id=property_id)
    values, errors = parse_listing(raw)
    changed_code = not errors and values["code"] != prop.code
    if changed_code and await _by_code(session, tenant_id, values["code"]) is not None:
        errors.append(f"Já existe um imóvel com o código {values['code']}.")
    if errors:
        raise InvalidListing(errors)
    for key, value in values.items():
        setattr(prop, key, value)
    await session.flush()
    await _enqueue_indexing(session, tenant_id)
    return prop


async def set_available(
    session: AsyncSession, *, tenant_id: uuid.UUID, property_id: uuid.UUID, available: bool
) -> Property:
    """Deactivate (or reactivate) a listing: the assistant stops (or starts) offering it."""
    prop = await get_property(session, tenant_id=tenant_id, property_id=property_id)
    prop.available = available
    await session.flush()
    await _enqueue_indexing(session, tenant_id)
    return prop


async def list_properties(
    session: AsyncSession, *, tenant_id: uuid.UUID, text: str | None = None
) -> list[Property]:
    statement = select(Property).where(Property.tenant_id == tenant_id)
    if text and text.strip():
        pattern = f"%{text.strip()}%"
        statement = statement.where(
            Property.code.ilike(pattern)
            | Property.title.ilike(pattern)
            | Property.neighborhood.ilike(pattern)
        )
    found = await session.execute(
        statement.order_by(Property.available.desc(), Property.code).limit(500)
    )
    return list(found.scalars())


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    code: str
    messages: list[str]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


async def import_csv(
    session: AsyncSession, *, tenant_id: uuid.UUID, content: bytes
) -> ImportReport:
    """Create or update (by code) every listing in the CSV, or none when any row is bad.

    Accepts ``,`` or ``;`` separated UTF-8 with English or Portuguese column names.
    """
    rows = _read_csv(content)
    report = ImportReport()
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        values, errors = parse_listing(row)
        code = values.get("code") or ""
        if code and code in seen:
            errors.append(f"Código repetido (já na linha {seen[code]}).")
        seen.setdefault(code, line)
        if errors:
            report.errors.append(RowError(line=line, code=code, messages=errors))
        parsed.append(values)
    if report.errors:
        return report
    for values in parsed:
        await _upsert(session, tenant_id, values, report)
    await session.flush()
    await _enqueue_indexing(session, tenant_id)
    return report


async def _upsert(
    session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any], report: ImportReport
) -> None:
    existing = await _by_code(session, tenant_id, values["code"])
    if existing is None:
        session.add(Property(id=uuid.uuid4(), tenant_id=tenant_id, available=True, **values))
        report.created += 1
        return
    for key, value in values.items():
        setattr(existing, key, value)
    report.updated += 1


def _read_csv(content: bytes) -> list[tuple[int, dict[str, str | None]]]:
    if not content.strip():
        raise BadRequest("O arquivo CSV está vazio.")
    if len(content) > MAX_IMPORT_BYTES:
        raise BadRequest("O arquivo passa de 5 MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("Salve o CSV em UTF-8 e envie de novo.") from exc
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [_column(name) for name in reader.fieldnames or []]
    missing = [_LABELS[key] for key in REQUIRED if key not in header]
    if missing:
        raise BadRequest(f"Faltam colunas no CSV: {', '.join(missing)}.")
    rows = [
        (reader.line_num, {_column(k): v for k, v in row.items() if k is not None})
        for row in reader
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]
    if not rows:
        raise BadRequest("O CSV não tem nenhum imóvel.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise BadRequest(f"Importe no máximo {MAX_IMPORT_ROWS} imóveis por arquivo.")
    return rows


def _column(name: str) -> str:
    key = name.strip().lower()
    return COLUMN_ALIASES.get(key, key)
