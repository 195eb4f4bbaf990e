"""The importers read files and posts from outside: a listings CSV, a VRSync feed, a portal's
lead. Fed arbitrary and mutated input, each gives its documented result or its documented
refusal (``BadRequest``, ``FeedRefused``, ``InvalidPortalLead``), never another exception."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vellarys.domain.listing_csv import COLUMN_ALIASES, read_listing_csv
from vellarys.domain.listing_input import FIELDS, ListingInput, listing_from_text
from vellarys.domain.portal_lead import InvalidPortalLead, PortalLead, read_portal_lead
from vellarys.domain.vrsync import FeedListing, FeedRefused, Rejected, read_feed
from vellarys.errors import BadRequest

FEED = (Path(__file__).parent.parent / "data" / "vrsync" / "feed.xml").read_bytes()
COLUMNS = [*FIELDS, *COLUMN_ALIASES, "extra", " Preço ", ""]
CELLS = [
    "", " ", "AP-1", "Apartamento", "apartment", "casa", "venda", "sale", "aluguel", "rent",
    "750000", "R$ 1.200,50", "1,5 mil", "-3", "2", "99999999999999999999", "1e9", "NaN",
    "Pinheiros", "São Paulo", "SP", "XX", "a;b", "a,b", '"', '""', "\n", "\r\n", "😀", "\ufeff",
]  # fmt: skip


GOOD_ROW = {
    "code": "AP-1", "title": "Apartamento", "property_type": "apartment", "transaction": "sale",
    "price": "750000", "neighborhood": "Pinheiros", "city": "São Paulo", "bedrooms": "2",
}  # fmt: skip


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A header of the listing columns (or of anything), rows of valid cells with some
    replaced by odd ones, in either delimiter and either encoding."""
    delimiter = draw(st.sampled_from([",", ";"]))
    extra = draw(st.lists(st.sampled_from(COLUMNS), max_size=4))
    header = draw(st.sampled_from([[*GOOD_ROW, *extra], extra or ["x"]]))
    odd = st.sampled_from(CELLS) | st.text(max_size=20)
    cell = {c: st.just(GOOD_ROW.get(c, "")) | odd for c in header}
    rows = draw(st.lists(st.tuples(*(cell[c] for c in header)), max_size=5))
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    text = "\n".join(lines)
    return draw(st.sampled_from([text.encode(), text.encode("latin-1", "replace")]))


@given(content=csv_files() | st.binary(max_size=300))
def test_a_csv_gives_listings_or_a_bad_request(content: bytes) -> None:
    try:
        rows = read_listing_csv(content)
    except BadRequest as refused:
        assert str(refused)
        return
    assert rows and all(isinstance(line, int) and line >= 2 for line, _ in rows)
    for _, cells in rows:
        try:
            listing = listing_from_text(cells)
        except BadRequest as invalid:
            assert str(invalid)
            continue
        assert isinstance(listing, ListingInput) and listing.code and listing.price >= 0


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    """The sample feed with a slice cut out, a slice repeated or bytes put in."""
    start = draw(st.integers(min_value=0, max_value=len(FEED)))
    end = draw(st.integers(min_value=start, max_value=min(len(FEED), start + 400)))
    how = draw(st.sampled_from(["cut", "repeat", "insert"]))
    if how == "cut":
        return FEED[:start] + FEED[end:]
    if how == "repeat":
        return FEED[:end] + FEED[start:end] + FEED[end:]
    junk = draw(st.sampled_from([b"<", b">", b"&", b"]]>", b"<!ENTITY x 'y'>", b"\x00", b"\xff"]))
    return FEED[:start] + junk + FEED[start:]


@given(content=mutated_feeds() | st.binary(max_size=200))
def test_a_feed_gives_listings_and_rejections_or_is_refused(content: bytes) -> None:
    try:
        items = list(read_feed(io.BytesIO(content)))
    except FeedRefused as refused:
        assert str(refused)
        return
    for item in items:
        assert isinstance(item, FeedListing | Rejected)
        if isinstance(item, Rejected):
            assert item.reason
        else:
            assert item.code and all(listing.price >= 0 for listing in item.listings)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
PORTAL_KEYS = ["originLeadId", "clientListingId", "ddd", "phone", "phoneNumber", "name", "email",
               "message", "leadOrigin", "timestamp", "temperature", "transactionType"]  # fmt: skip


@given(
    payload=json_values
    | st.dictionaries(st.sampled_from(PORTAL_KEYS), json_values | st.text(max_size=12))
)
def test_a_portal_post_gives_a_lead_or_says_why_not(payload: Any) -> None:
    try:
        lead = read_portal_lead(payload)
    except InvalidPortalLead as invalid:
        assert str(invalid)
        return
    assert isinstance(lead, PortalLead)
    assert lead.lead_id and lead.listing_code and lead.phone and len(lead.listing_code) <= 32
