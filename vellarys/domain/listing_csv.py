"""A listings CSV file read into rows of text, with every limit checked before any work.

Accepts ``,`` or ``;`` separated UTF-8 with English or Portuguese column names. A file too
big, a field too long, a NUL byte or too many rows is a ``BadRequest`` that names the line,
never a crash.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from vellarys.domain.listing_input import LABELS, REQUIRED
from vellarys.errors import BadRequest

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
# Longer than any listing field may be (a description is at most 20,000 characters).
MAX_FIELD_CHARS = 50_000
# Portuguese column names accepted in the header, besides the English ones.
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
Row = tuple[int, dict[str, str | None]]


def read_listing_csv(content: bytes) -> list[Row]:
    """``(line, {column: text})`` for every non-empty row; ``BadRequest`` for an unusable file."""
    text = _decoded(content)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise BadRequest(f"Linha {line}: caractere nulo no arquivo. Salve-o de novo como CSV.")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows: list[Row] = []
    try:
        _check_header(reader.fieldnames or [])
        for row in reader:
            _check_row(reader.line_num, row, len(rows))
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                cells = {_column(k): v for k, v in row.items() if isinstance(k, str)}
                rows.append((reader.line_num, cells))
    except csv.Error as exc:  # e.g. a field longer than csv's own limit, on the next line
        line = reader.line_num + 1
        raise BadRequest(
            f"Linha {line}: CSV ilegível ou campo com mais de {MAX_FIELD_CHARS} caracteres."
        ) from exc
    if not rows:
        raise BadRequest("O CSV não tem nenhum imóvel.")
    return rows


def _decoded(content: bytes) -> str:
    if not content.strip():
        raise BadRequest("O arquivo CSV está vazio.")
    if len(content) > MAX_IMPORT_BYTES:
        raise BadRequest("O arquivo passa de 5 MB.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("Salve o CSV em UTF-8 e envie de novo.") from exc


def _check_header(names: Sequence[str]) -> None:
    if any(len(name) > 100 for name in names):
        raise BadRequest("O cabeçalho do CSV tem um nome de coluna longo demais.")
    header = [_column(name) for name in names]
    missing = [LABELS[key] for key in REQUIRED if key not in header]
    if missing:
        raise BadRequest(f"Faltam colunas no CSV: {', '.join(missing)}.")


def _check_row(line: int, row: dict[str | None, object], count: int) -> None:
    if count >= MAX_IMPORT_ROWS:
        raise BadRequest(f"Importe no máximo {MAX_IMPORT_ROWS} imóveis por arquivo.")
    for value in row.values():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise BadRequest(
                f"Linha {line}: um campo passa de {MAX_FIELD_CHARS} caracteres. Nada foi importado."
            )


def _column(name: str) -> str:
    key = name.strip().lower()
    return COLUMN_ALIASES.get(key, key)
