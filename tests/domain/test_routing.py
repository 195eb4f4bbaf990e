"""The distribution rules as a table: who gets the lead, given the team and what it wants."""

from __future__ import annotations

from datetime import date

import pytest

from vellarys.domain.routing import Candidate, Wanted, route, wanted_specialities

DAY = date(2026, 12, 1)


def broker(key: str, **values: object) -> Candidate:
    return Candidate(key=key, role="broker", **values)  # type: ignore[arg-type]


MANAGER = Candidate(key="gerente", role="manager")
ADMIN = Candidate(key="admin", role="admin")
PINHEIROS = Wanted(neighborhoods=("Pinheiros",), city="São Paulo")


@pytest.mark.parametrize(
    ("team", "wanted", "chosen"),
    [
        # The listing's own broker first, even over a better area match.
        (
            [broker("ana", neighborhoods=("Pinheiros",)), broker("dono")],
            Wanted(listing_broker="dono", neighborhoods=("Pinheiros",)),
            "dono",
        ),
        # ... unless they are away, unavailable or at their cap: then the rules go on.
        (
            [broker("ana", neighborhoods=("Pinheiros",)), broker("dono", away=(DAY, DAY))],
            Wanted(listing_broker="dono", neighborhoods=("Pinheiros",)),
            "ana",
        ),
        (
            [broker("ana"), broker("dono", cap=2, today=2)],
            Wanted(listing_broker="dono"),
            "ana",
        ),
        # Area: the neighbourhood counts over the city, the city over nothing.
        (
            [broker("bia", cities=("São Paulo",)), broker("ana", neighborhoods=("pinheiros",))],
            PINHEIROS,
            "ana",
        ),
        ([broker("caio"), broker("bia", cities=("sao paulo",))], PINHEIROS, "bia"),
        # Area and speciality together beat area alone.
        (
            [
                broker("ana", neighborhoods=("Pinheiros",)),
                broker("rui", neighborhoods=("Pinheiros",), specialities=frozenset({"rent"})),
            ],
            Wanted(neighborhoods=("Pinheiros",), specialities=frozenset({"rent"})),
            "rui",
        ),
        # Among equals, the least busy today; a tie keeps the round-robin order.
        ([broker("ana", today=3), broker("bia", today=1)], Wanted(), "bia"),
        ([broker("ana", today=1), broker("bia", today=1)], Wanted(), "ana"),
        # The cap: a broker at it gets nothing, however well they fit.
        (
            [broker("ana", neighborhoods=("Pinheiros",), cap=1, today=1), broker("bia")],
            PINHEIROS,
            "bia",
        ),
        # Vacation (both ends included) and the availability toggle.
        ([broker("ana", away=(date(2026, 11, 20), DAY)), broker("bia")], Wanted(), "bia"),
        ([broker("ana", away=(DAY, None)), broker("bia")], Wanted(), "bia"),
        ([broker("ana", away=(date(2026, 11, 1), date(2026, 11, 30)))], Wanted(), "ana"),
        ([broker("ana", available=False), broker("bia")], Wanted(), "bia"),
        # Nobody can take it: the manager, else an admin, else nobody.
        ([broker("ana", cap=0), MANAGER, ADMIN], Wanted(), "gerente"),
        ([broker("ana", available=False), ADMIN], Wanted(), "admin"),
        ([Candidate(key="gerente", role="manager", away=(DAY, DAY)), ADMIN], Wanted(), "admin"),
        ([broker("ana", away=(DAY, DAY))], Wanted(), None),
    ],
)
def test_routing_table(team: list[Candidate], wanted: Wanted, chosen: str | None) -> None:
    found = route(team, wanted, DAY)
    assert (found.key if found else None) == chosen


def test_what_a_lead_and_its_listing_call_for() -> None:
    assert wanted_specialities({"intent": "rent"}) == {"rent"}
    assert wanted_specialities({"intent": "buy", "budget_max": 2_000_000}) == {"sale", "high_end"}
    listing = {"transaction": "sale", "property_type": "commercial", "price": 900_000}
    assert wanted_specialities({}, listing) == {"sale", "commercial"}
    assert wanted_specialities({"intent": "rent", "budget_max": 12_000}) == {"rent", "high_end"}
    assert wanted_specialities({"budget_max": True}) == frozenset()
