"""Profile field accuracy on a labelled set of lead messages.

    .venv/bin/python -m bench.profile_accuracy            # a second
    .venv/bin/python -m bench.profile_accuracy --errors   # and the wrong rows

``bench/data/profile_fields.jsonl``: one message per line with the slot the assistant had just
asked (``asked``), the profile's intent so far (``intent``), whether it was a button's title
(``button``) and the fields it states (``expected``). Each field the message states and each
field read though the message does not state it count once; a field is right when the value
read equals the labelled one. The names the issue saw go wrong ("Prazer, Poxa!", an FGTS
balance as the budget, three listings as three parking spaces) are in the set.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vellarys.domain.qualification import extract

DATA = Path(__file__).resolve().parent / "data"
# "tuning": written with the extraction code and used while changing it; "heldout": written
# afterwards and measured, never used to change the code.
SETS = {"tuning": "profile_fields.jsonl", "heldout": "profile_fields_heldout.jsonl"}
FIELDS = (
    "name",
    "intent",
    "property_type",
    "city",
    "neighborhoods",
    "budget_min",
    "budget_max",
    "bedrooms",
    "parking",
    "timeline",
    "payment",
    "pets",
    "down_payment",
    "fgts_balance",
    "monthly_income",
    "monthly_instalment",
    "rent_includes_fees",
    "wants_human",
)
NEIGHBORHOODS = (
    "Butantã",
    "Itaim Bibi",
    "Moema",
    "Mooca",
    "Perdizes",
    "Pinheiros",
    "Santana",
    "Tatuapé",
    "Vila Madalena",
    "Vila Mariana",
)
CITIES = ("São Paulo", "Osasco", "Santo André", "São Bernardo do Campo")


def labelled(name: str = "tuning") -> list[dict[str, Any]]:
    lines = (DATA / SETS[name]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def read(case: dict[str, Any]) -> dict[str, Any]:
    return extract(
        case["text"],
        known_neighborhoods=NEIGHBORHOODS,
        known_cities=CITIES,
        asked=case.get("asked"),
        intent=case.get("intent"),
        name_allowed=not case.get("button", False),
    )


def evaluate(name: str = "tuning", *, show_errors: bool = False) -> dict[str, tuple[int, int]]:
    """Per field: (right, counted), counted = fields stated plus fields read but not stated."""
    right: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    for case in labelled(name):
        found, expected = read(case), case["expected"]
        for field in FIELDS:
            if field not in expected and field not in found:
                continue
            counted[field] += 1
            ok = found.get(field) == expected.get(field)
            right[field] += ok
            if show_errors and not ok:
                print(f"  {field}: {found.get(field)!r} != {expected.get(field)!r}  {case['text']}")
    return {field: (right[field], counted[field]) for field in FIELDS if counted[field]}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--set", choices=sorted(SETS), default="heldout")
    args = parser.parse_args(argv)
    table = evaluate(args.set, show_errors=args.errors)
    print(f"{args.set}: {len(labelled(args.set))} labelled messages")
    print("| field | right | counted | accuracy |\n|---|---:|---:|---:|")
    for field, (ok, total) in table.items():
        print(f"| {field} | {ok} | {total} | {100 * ok / total:.1f}% |")
    ok = sum(v[0] for v in table.values())
    total = sum(v[1] for v in table.values())
    print(f"| all | {ok} | {total} | {100 * ok / total:.1f}% |")


if __name__ == "__main__":
    main()
