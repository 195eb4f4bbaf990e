"""The first WhatsApp message to a lead who asked about a listing elsewhere (a portal, the
agency's site): it says who writes, where the lead was seen and which listing, and asks one
question."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vellarys.domain.budget import format_brl
from vellarys.domain.nudge import first_name


@dataclass(frozen=True, slots=True)
class AskedListing:
    code: str
    title: str
    neighborhood: str
    transaction: str
    price: Decimal


def listing_phrase(listing: AskedListing) -> str:
    """ "*Apartamento 2 quartos* no Batel (cód. AP-101), R$ 750.000" for the message and
    the template's ``listing`` variable."""
    suffix = "/mês" if listing.transaction == "rent" else ""
    return (
        f"*{listing.title}* — {listing.neighborhood}, {format_brl(listing.price)}{suffix} "
        f"(cód. {listing.code})"
    )


def first_contact_text(
    *,
    lead_name: str | None,
    persona: str,
    agency: str,
    origin: str,
    listing: AskedListing | None,
) -> str:
    """One bubble: greeting, who writes, the listing asked about, one question."""
    name = first_name(lead_name)
    hello = f"Oi, {name}! " if name else "Oi! "
    intro = f"Aqui é {persona}, da {agency}. "
    if listing is None:
        return (
            f"{hello}{intro}Recebi seu contato pelo {origin}. "
            "Que tipo de imóvel você está procurando?"
        )
    return (
        f"{hello}{intro}Vi que você se interessou pelo {listing_phrase(listing)} no {origin}. "
        "Quer que eu te conte mais sobre ele ou prefere agendar uma visita?"
    )
