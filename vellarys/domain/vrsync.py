"""The portals' listing feed (VRSync XML, as ZAP Imóveis, VivaReal and OLX read it).

``read_feed`` streams ``ListingDataFeed/Listings/Listing`` elements one at a time from a
binary stream, with defusedxml's expat parser: a DOCTYPE (and so every entity trick, the
billion laughs included) is refused before anything is expanded, and each listing's element
is dropped once read, so memory stays flat whatever the feed's size. Each listing becomes
one or two ``ListingInput`` (a "Sale/Rent" listing is offered both ways: the rent side gets
the code ``<ListingID>-L``) or a rejection with its reason in Portuguese.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from vellarys.domain.listing_input import InvalidListing, ListingInput, listing_from_values

RENT_SUFFIX = "-L"
MAX_CODE_CHARS = 32 - len(RENT_SUFFIX)
_TAG_NS = re.compile(r"^\{[^}]*\}")
_HTML_BREAK = re.compile(r"<\s*(br|/p|/div)\b[^>]*>", re.IGNORECASE)
_HTML_ITEM = re.compile(r"<\s*li\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]{0,500}>")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_SPACES = re.compile(r"[ \t\u00a0]+")

# VRSync "Category / Type" -> our property type (the part after the slash decides).
_TYPES = {
    "apartment": "apartment",
    "flat": "studio",
    "kitnet": "studio",
    "studio": "studio",
    "penthouse": "apartment",
    "cobertura": "apartment",
    "home": "house",
    "sobrado": "house",
    "village house": "condo_house",
    "condo": "condo_house",
    "land lot": "land",
    "farm ranch": "land",
    "agricultural": "land",
    "office": "commercial",
    "business": "commercial",
    "loja": "commercial",
    "building": "commercial",
    "consultorio": "commercial",
    "industrial": "commercial",
    "galpao": "commercial",
    "edificio residencial": "commercial",
    "residential income": "commercial",
}
_TYPE_NAMES = {
    "apartment": "Apartamento",
    "house": "Casa",
    "condo_house": "Casa em condomínio",
    "studio": "Studio",
    "commercial": "Imóvel comercial",
    "land": "Terreno",
}
_TRANSACTIONS = {"for sale": ("sale",), "for rent": ("rent",), "sale/rent": ("sale", "rent")}


class FeedRefused(ValueError):
    """The file is not a feed we read: unsafe XML, broken XML or not VRSync."""


@dataclass(frozen=True, slots=True)
class Rejected:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class FeedListing:
    """One ``<Listing>`` of the feed: its code and the listings it publishes."""

    code: str
    listings: tuple[ListingInput, ...]


def read_feed(stream: IO[bytes]) -> Iterator[FeedListing | Rejected]:
    """Every listing of a VRSync feed, in order. ``FeedRefused`` for an unsafe or broken file
    (raised when reached: listings yielded before it were read from a well-formed prefix)."""
    parents: list[Element] = []
    root_seen = False
    try:
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = _local(element.tag)
            if event == "start":
                if not root_seen and tag != "ListingDataFeed":
                    raise FeedRefused(f"Não é um feed VRSync (raiz <{tag[:40]}>).")
                root_seen = True
                parents.append(element)
                continue
            parents.pop()
            if tag == "Listing":
                yield read_listing(element)
                if parents:
                    parents[-1].remove(element)
    except (DefusedXmlException, ParseError) as exc:
        raise FeedRefused(f"XML recusado: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if not root_seen:
        raise FeedRefused("Arquivo vazio.")


def read_listing(element: Element) -> FeedListing | Rejected:
    """One ``<Listing>`` element as listings to publish, or why it cannot be."""
    fields = _flatten(element)
    code = fields.get("ListingID", "").strip()
    if not code:
        return Rejected(code="", reason="Sem ListingID.")
    if len(code) > MAX_CODE_CHARS:
        return Rejected(
            code=code[:40], reason=f"ListingID com mais de {MAX_CODE_CHARS} caracteres."
        )
    sides = _TRANSACTIONS.get(fields.get("TransactionType", "").strip().lower())
    if sides is None:
        given = fields.get("TransactionType", "")[:40]
        return Rejected(code=code, reason=f"TransactionType desconhecido: {given!r}.")
    try:
        listings = tuple(_listing(fields, element, code, side, len(sides) > 1) for side in sides)
    except InvalidListing as exc:
        return Rejected(code=code, reason=" ".join(exc.errors))
    return FeedListing(code=code, listings=listings)


def _listing(
    fields: dict[str, str], element: Element, code: str, side: str, both: bool
) -> ListingInput:
    price_tag = "ListPrice" if side == "sale" else "RentalPrice"
    property_type = _property_type(fields.get("PropertyType", ""))
    values: dict[str, Any] = {
        "code": code + RENT_SUFFIX if both and side == "rent" else code,
        "title": _title(fields, property_type),
        "property_type": property_type,
        "transaction": side,
        "price": _number(fields.get(price_tag)),
        "condo_fee": _number(fields.get("PropertyAdministrationFee")),
        "iptu": _number(fields.get("YearlyTax")),  # yearly, as our column
        "area_m2": _number(fields.get("LivingArea") or fields.get("LotArea")),
        "bedrooms": _count(fields.get("Bedrooms")),
        "suites": _count(fields.get("Suites")),
        "bathrooms": _count(fields.get("Bathrooms")),
        "parking": _count(fields.get("Garage")),
        "neighborhood": fields.get("Neighborhood", ""),
        "city": fields.get("City", ""),
        "state": fields.get("State@abbreviation") or fields.get("State") or "SP",
        "address": _address(fields),
        "description": plain_text(fields.get("Description", ""))[:20_000],
        "features": _texts(element, "Feature")[:50],
        "photos": _texts(element, "Item")[:50],
    }
    return listing_from_values(values)


def _local(tag: str) -> str:
    return _TAG_NS.sub("", tag)


def _flatten(element: Element) -> dict[str, str]:
    """Leaf texts by tag name (the first of each), plus ``Tag@attr`` for attributes."""
    found: dict[str, str] = {}
    for node in element.iter():
        tag = _local(node.tag)
        if len(node) == 0 and tag not in found:
            found[tag] = (node.text or "").strip()
        for key, value in node.attrib.items():
            found.setdefault(f"{tag}@{key}", value.strip())
    return found


def _texts(element: Element, tag: str) -> list[str]:
    return [
        (node.text or "").strip()
        for node in element.iter()
        if _local(node.tag) == tag and (node.text or "").strip()
    ]


def _property_type(value: str) -> str:
    kind = value.rsplit("/", 1)[-1].strip().lower()
    return _TYPES.get(kind, value.strip() or "?")


def _title(fields: dict[str, str], property_type: str) -> str:
    title = plain_text(fields.get("Title", "")).replace("\n", " ")
    if title:
        return title[:300]
    place = fields.get("Neighborhood") or fields.get("City") or ""
    name = _TYPE_NAMES.get(property_type, "Imóvel")
    return f"{name} em {place}" if place else name


def _number(value: str | None) -> str | None:
    """Feed numbers are plain ("750000", "750000.00"); a comma is read as a decimal mark."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace(",", ".")
    return text if re.fullmatch(r"\d{1,13}(\.\d{1,2})?", text) else value.strip()[:40]


def _count(value: str | None) -> int | str:
    if value is None or not value.strip():
        return 0
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 2 else text[:40]


def _address(fields: dict[str, str]) -> str | None:
    street = fields.get("Address", "")
    number = fields.get("StreetNumber", "")
    postal = fields.get("PostalCode", "")
    parts = [f"{street}, {number}" if street and number else street]
    if postal:
        parts.append(f"CEP {postal}")
    joined = " - ".join(p for p in parts if p)
    return joined[:300] or None


def plain_text(value: str) -> str:
    """A description as text: HTML tags dropped (line breaks kept), entities decoded."""
    text = _HTML_ITEM.sub("\n• ", _HTML_BREAK.sub("\n", value))
    text = html.unescape(_HTML_TAG.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
