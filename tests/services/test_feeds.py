"""Portal feed (VRSync) sync on the real database: what a real feed holds is reported, a second
run updates, publishes and unpublishes, unsafe XML is refused with nothing written."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_tenant
from vellarys.db.models import Property
from vellarys.db.queries import property as property_queries
from vellarys.services import feeds
from vellarys.services.feeds import FeedRefused

FIXTURES = Path(__file__).parents[1] / "data" / "vrsync"

SECOND_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<ListingDataFeed xmlns="http://www.vivareal.com/schemas/1.0/VRSync"><Listings>
  <Listing><ListingID>VR-100</ListingID><Title>Apartamento 2 dormitórios em Pinheiros</Title>
    <TransactionType>For Sale</TransactionType>
    <Details><PropertyType>Residential / Apartment</PropertyType><ListPrice>720000</ListPrice>
      <Bedrooms>2</Bedrooms></Details>
    <Location><City>São Paulo</City><Neighborhood>Pinheiros</Neighborhood></Location></Listing>
  <Listing><ListingID>VR-200</ListingID><Title>Casa 3 dormitórios na Vila Mariana</Title>
    <TransactionType>For Sale</TransactionType>
    <Details><PropertyType>Residential / Home</PropertyType>
      <Description>Casa térrea com quintal.</Description><ListPrice>1350000</ListPrice>
      <LivingArea>180</LivingArea><Bedrooms>3</Bedrooms><Bathrooms>3</Bathrooms><Garage>2</Garage>
    </Details>
    <Location><State abbreviation="SP">São Paulo</State><City>São Paulo</City>
      <Neighborhood>Vila Mariana</Neighborhood></Location></Listing>
  <Listing><ListingID>VR-600</ListingID><Title>Cobertura no Itaim</Title>
    <TransactionType>For Sale</TransactionType>
    <Details><PropertyType>Residential / Penthouse</PropertyType><ListPrice>3900000</ListPrice>
    </Details><Location><City>São Paulo</City><Neighborhood>Itaim Bibi</Neighborhood></Location>
  </Listing>
</Listings></ListingDataFeed>
""".encode()


async def _sync(session: AsyncSession, tenant_id: uuid.UUID, content: bytes) -> feeds.FeedReport:
    return await feeds.sync_feed(session, tenant_id=tenant_id, stream=io.BytesIO(content))


async def _rows(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Property]:
    found = await session.execute(select(Property).where(Property.tenant_id == tenant_id))
    return {p.code: p for p in found.scalars()}


async def test_a_real_world_feed_is_imported_and_its_bad_listings_reported(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    report = await _sync(session, tenant.id, (FIXTURES / "feed.xml").read_bytes())

    assert (report.added, report.updated, report.unpublished) == (4, 0, 0)
    assert [r["code"] for r in report.rejected] == ["VR-100", "VR-400", "VR-500", ""]
    assert "repetido" in report.rejected[0]["reason"]
    assert "Informe preço" in report.rejected[1]["reason"]
    assert "quartos" in report.rejected[1]["reason"]
    rows = await _rows(session, tenant.id)
    assert sorted(rows) == ["VR-100", "VR-200", "VR-200-L", "VR-300"]
    first = rows["VR-100"]
    assert first.price == 750000 and first.condo_fee == 980 and first.suites == 1
    assert first.description.startswith("Lindo apartamento com varanda gourmet.")
    assert "<" not in first.description and "• Perto do metrô" in first.description
    assert "& FGTS" in first.description
    assert first.address == "Rua dos Pinheiros, 1200 - CEP 05422-001"
    assert len(first.photos) == 2 and first.origin == "feed"
    both = (rows["VR-200"], rows["VR-200-L"])
    assert [(p.transaction, p.price) for p in both] == [("sale", 1350000), ("rent", 7500)]
    assert (
        rows["VR-300"].property_type == "studio" and rows["VR-300"].title == "Studio em Bela Vista"
    )


async def test_a_second_sync_updates_adds_and_unpublishes_keeping_the_rows(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    await _sync(session, tenant.id, (FIXTURES / "feed.xml").read_bytes())
    report = await _sync(session, tenant.id, SECOND_FEED)

    assert (report.added, report.updated, report.unchanged) == (1, 1, 1)
    assert report.unpublished == 2 and report.rejected == []
    rows = await _rows(session, tenant.id)
    assert rows["VR-100"].price == 720000 and rows["VR-100"].available
    assert not rows["VR-300"].available and not rows["VR-200-L"].available  # kept, unpublished
    assert rows["VR-600"].available
    # The same feed again writes nothing (nothing re-embedded).
    assert await _sync(session, tenant.id, SECOND_FEED) == feeds.FeedReport(unchanged=3)


async def test_a_listing_the_feed_brings_back_is_published_again(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    await _sync(session, tenant.id, (FIXTURES / "feed.xml").read_bytes())
    await _sync(session, tenant.id, SECOND_FEED)
    report = await _sync(session, tenant.id, (FIXTURES / "feed.xml").read_bytes())
    assert report.updated >= 3  # VR-100 (price), VR-200-L and VR-300 republished
    rows = await _rows(session, tenant.id)
    assert rows["VR-300"].available and rows["VR-200-L"].available
    assert not rows["VR-600"].available


@pytest.mark.parametrize("name", ["bomb.xml", "external_entity.xml"])
async def test_xml_attacks_are_refused_and_nothing_is_written(
    session: AsyncSession, name: str
) -> None:
    tenant = await make_tenant(session)
    with pytest.raises(FeedRefused, match="DTDForbidden"):
        await _sync(session, tenant.id, (FIXTURES / name).read_bytes())
    assert await _rows(session, tenant.id) == {}


async def test_an_empty_or_foreign_feed_unpublishes_nothing(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    await _sync(session, tenant.id, (FIXTURES / "feed.xml").read_bytes())
    empty = b'<?xml version="1.0"?><ListingDataFeed><Listings/></ListingDataFeed>'
    with pytest.raises(FeedRefused, match="nenhum"):
        await _sync(session, tenant.id, empty)
    with pytest.raises(FeedRefused, match="VRSync"):
        await _sync(session, tenant.id, b"<html><body>Not found</body></html>")
    with pytest.raises(FeedRefused, match="ParseError"):
        await _sync(session, tenant.id, b"<ListingDataFeed><Listings><Listing>")
    rows = await _rows(session, tenant.id)
    assert all(p.available for p in rows.values())


async def test_staff_listings_are_left_alone_and_another_agency_is_untouched(
    session: AsyncSession,
) -> None:
    tenant, other = await make_tenant(session), await make_tenant(session)
    await _sync(session, other.id, (FIXTURES / "feed.xml").read_bytes())
    session.add(
        Property(
            tenant_id=tenant.id,
            code="MAN-1",
            title="Casa",
            property_type="house",
            transaction="sale",
            price=1,
            neighborhood="Centro",
            city="Santos",
        )
    )
    await session.flush()
    await _sync(session, tenant.id, SECOND_FEED)
    assert (await property_queries.by_codes(session, tenant.id, ["MAN-1"]))["MAN-1"].available
    theirs = await _rows(session, other.id)
    assert theirs["VR-300"].available and theirs["VR-100"].price == 750000
