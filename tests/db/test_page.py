"""The one pagination helper: bounded page and size, an offset PostgreSQL accepts."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_tenant
from vellarys.db.models import Lead
from vellarys.db.queries.page import (
    MAX_PAGE,
    MAX_PER_PAGE,
    fetch_page,
    page_request,
    parse_page_number,
)
from vellarys.errors import BadRequest


@pytest.mark.parametrize(
    ("page", "per_page"),
    [(0, 25), (-1, 25), (MAX_PAGE + 1, 25), (10**20, 25), (1, 0), (1, MAX_PER_PAGE + 1)],
)
def test_a_page_or_size_out_of_bounds_is_a_bad_request(page: int, per_page: int) -> None:
    with pytest.raises(BadRequest):
        page_request(page, per_page)


def test_the_last_allowed_page_has_an_offset_postgresql_accepts() -> None:
    request = page_request(MAX_PAGE, MAX_PER_PAGE)
    assert request.offset == (MAX_PAGE - 1) * MAX_PER_PAGE < 2**63
    assert request.limit == MAX_PER_PAGE


@pytest.mark.parametrize("text", ["0", "-3", "abc", "1e9", "99999999999999999999", "٣", "2.5"])
def test_a_typed_page_number_that_is_not_a_page_is_a_bad_request(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_page_number(text)


def test_an_empty_page_number_is_the_first_page() -> None:
    assert parse_page_number(None) == parse_page_number(" ") == 1
    assert parse_page_number("7") == 7


async def test_a_page_past_the_end_still_reports_the_total(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    other = await make_tenant(session)
    for name in ("Ana", "Bia", "Caio"):
        await make_lead(session, tenant.id, name=name)
    await make_lead(session, other.id, name="Outro")
    where = [Lead.tenant_id == tenant.id]
    order = [Lead.name, Lead.id]

    second = await fetch_page(session, Lead, where, order, page_request(2, 2))
    beyond = await fetch_page(session, Lead, where, order, page_request(MAX_PAGE, 2))
    empty = await fetch_page(session, Lead, [Lead.tenant_id == uuid.uuid4()], order, page_request())

    assert ([lead.name for lead in second.items], second.total, second.pages) == (["Caio"], 3, 2)
    assert (beyond.items, beyond.total) == ([], 3)
    assert (empty.items, empty.total, empty.pages) == ([], 0, 1)
