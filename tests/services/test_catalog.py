"""The one listing write service: typed values kept as given, batched all-or-nothing imports,
CSV limits that answer 4xx, one read and one indexing job per update."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_tenant
from vellarys.domain.listing_csv import MAX_IMPORT_ROWS
from vellarys.domain.listing_input import InvalidListing, listing_from_text, listing_from_values
from vellarys.errors import BadRequest
from vellarys.services import catalog

LISTING: dict[str, Any] = {
    "code": "AP1",
    "title": "Apartamento em Pinheiros",
    "property_type": "apartment",
    "transaction": "sale",
    "price": 750000,
    "neighborhood": "Pinheiros",
    "city": "São Paulo",
    "features": ["Piscina; churrasqueira", "Vista livre, sol da manhã"],
    "photos": ["https://fotos.example/ap1/foto,1.jpg"],
}
HEADER = "code,title,property_type,transaction,price,neighborhood,city\n"


@contextmanager
def counted_statements(session: AsyncSession) -> Iterator[list[str]]:
    """Every SQL statement the session's connection runs inside the block."""
    seen: list[str] = []
    engine = session.bind.engine.sync_engine  # type: ignore[union-attr]

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _index_jobs(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    found = await session.execute(
        text(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:index_properties'"
            " AND args->>'tenant_id' = :t"
        ),
        {"t": str(tenant_id)},
    )
    return int(found.scalar_one())


async def test_a_typed_feature_with_a_semicolon_and_a_photo_url_with_a_comma_are_kept(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    prop = await catalog.create_listing(
        session, tenant_id=tenant.id, listing=listing_from_values(LISTING)
    )
    assert prop.features == ["Piscina; churrasqueira", "Vista livre, sol da manhã"]
    assert prop.photos == ["https://fotos.example/ap1/foto,1.jpg"]

    await catalog.update_listing(
        session, tenant_id=tenant.id, property_id=prop.id, changes={"price": 700000}
    )
    assert prop.features == LISTING["features"] and prop.photos == LISTING["photos"]


def test_form_text_splits_features_on_bars_and_lines_only() -> None:
    form = {key: str(value) for key, value in LISTING.items() if key not in ("features", "photos")}
    listing = listing_from_text(
        {
            **form,
            "price": "R$ 750.000",
            "features": "Piscina; churrasqueira | Vista livre, sol da manhã\nSauna",
            "photos": "https://fotos.example/ap1/foto,1.jpg https://fotos.example/2.jpg",
        }
    )
    assert listing.features == ("Piscina; churrasqueira", "Vista livre, sol da manhã", "Sauna")
    assert listing.photos == ("https://fotos.example/ap1/foto,1.jpg", "https://fotos.example/2.jpg")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"price": -1}, "preço"),
        ({"bedrooms": 100}, "quartos"),
        ({"title": "a\x00b"}, "caractere nulo"),
        ({"description": "x" * 20_001}, "descrição"),
        ({"photos": ["ftp://x"]}, "Foto"),
        ({"features": ["x"] * 51}, "características"),
        ({"property_type": "castelo"}, "Tipo"),
        ({"code": ""}, "código"),
    ],
)
def test_every_rule_of_a_listing_lives_in_listing_input(change: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidListing) as refused:
        listing_from_values({**LISTING, **change})
    assert says in refused.value.message


async def test_an_update_reads_the_row_once_and_queues_one_indexing_job(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    prop = await catalog.create_listing(
        session, tenant_id=tenant.id, listing=listing_from_values(LISTING)
    )
    jobs = await _index_jobs(session, tenant.id)
    with counted_statements(session) as statements:
        await catalog.update_listing(
            session,
            tenant_id=tenant.id,
            property_id=prop.id,
            changes={"price": 1, "title": "Novo título"},
            available=False,
        )
    reads = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM properties" in s]
    assert len(reads) == 1
    assert await _index_jobs(session, tenant.id) == jobs + 1
    assert (prop.title, prop.available) == ("Novo título", False)


async def test_an_import_reads_existing_codes_in_one_query_whatever_the_row_count(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    await catalog.create_listing(session, tenant_id=tenant.id, listing=listing_from_values(LISTING))
    rows = [(n, {**LISTING, "code": f"AP{n}"}) for n in range(1, 41)]
    with counted_statements(session) as statements:
        report = await catalog.import_listings(
            session, tenant_id=tenant.id, rows=rows, as_text=False
        )
    assert (report.created, report.updated) == (39, 1)
    assert len([s for s in statements if "FROM properties" in s]) == 1
    assert len([s for s in statements if "procrastinate_defer_jobs" in s]) == 1


async def test_one_bad_row_imports_nothing_and_reports_every_bad_row(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    csv = HEADER + (
        "A1,Apto,apartamento,venda,500000,Lapa,São Paulo\n"
        "A2,Apto,castelo,venda,500000,Lapa,São Paulo\n"
        "A1,Apto,apartamento,venda,abc,Lapa,São Paulo\n"
    )
    report = await catalog.import_csv(session, tenant_id=tenant.id, content=csv.encode())
    assert [(e.line, e.code) for e in report.errors] == [(3, "A2"), (4, "A1")]
    assert any("repetido" in m for m in report.errors[1].messages)
    assert (report.created, await _index_jobs(session, tenant.id)) == (0, 0)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (HEADER + "A1,Ap\x00to,apartamento,venda,1,Lapa,SP\n", "Linha 2: caractere nulo"),
        (HEADER + "A1," + "x" * 200_000 + ",apartamento,venda,1,Lapa,SP\n", "Linha 2"),
        (HEADER + "A1," + "x" * 60_000 + ",apartamento,venda,1,Lapa,SP\n", "Linha 2"),
        (HEADER + "A1,Apto,apartamento,venda,1,Lapa,SP\n" * (MAX_IMPORT_ROWS + 1), "no máximo"),
        (b"\xff\xfe".decode("latin-1") + HEADER, "UTF-8"),
        ("code,title\nA,B\n", "Faltam colunas"),
        (HEADER, "nenhum imóvel"),
    ],
)
async def test_a_csv_past_a_limit_is_a_bad_request_naming_the_problem(
    session: AsyncSession, content: str, says: str
) -> None:
    tenant = await make_tenant(session)
    data = content.encode("latin-1") if content.startswith("\xff") else content.encode()
    with pytest.raises(BadRequest) as refused:
        await catalog.import_csv(session, tenant_id=tenant.id, content=data)
    assert says in refused.value.message
    assert refused.value.status_code == 400
