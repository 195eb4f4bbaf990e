"""What an LGPD erasure must find and forget beyond the lead's own rows (pure logic).

- Audit details may quote the lead (a stored search query holding their name or phone):
  ``scrub`` replaces every such string.
- A provider may re-deliver an old webhook of the erased lead: the phone and message ids are
  kept only as salted hashes (``digest``), enough to recognise and drop the re-delivery.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

REMOVED = "[removido: LGPD]"
MIN_WORD = 3


def digest(salt: str, kind: str, value: str) -> str:
    """The salted hash stored for an erased identifier (the database computes the same)."""
    return hashlib.sha256(f"{salt}:{kind}:{value}".encode()).hexdigest()


def needles(*, phone: str | None, name: str | None) -> list[str]:
    """The strings that, found in a text, mean it quotes this lead (casefolded).

    The phone in E.164 and as bare national digits; the full name and each of its words of
    three or more letters (a search for "Carla" quotes Carla Souza)."""
    found: list[str] = []
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 8:
        found += [digits, digits[2:] if digits.startswith("55") else digits]
    clean = " ".join((name or "").split()).casefold()
    if len(clean) >= MIN_WORD:
        found.append(clean)
        found += [word for word in re.findall(r"\w+", clean) if len(word) >= MIN_WORD]
    return list(dict.fromkeys(found))


def search_terms(found: list[str]) -> list[str]:
    """What a database pre-filter looks for: the non-digit needles, and for digit needles
    only their last four digits (a phone may be stored with spaces or dashes); ``quotes``
    then decides precisely."""
    return list(dict.fromkeys(n[-4:] if n.isdigit() else n for n in found))


def quotes(text: str, found: Iterable[str]) -> bool:
    """True when ``text`` (URL-decoded, casefolded) holds one of ``found``: digits anywhere
    (a phone may be written with punctuation), name words as whole words."""
    plain = unquote_plus(text).casefold()
    digits = re.sub(r"\D", "", plain)
    for needle in found:
        if needle.isdigit():
            if needle in digits:
                return True
        elif re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", plain):
            return True
    return False


def scrub(value: Any, found: list[str]) -> tuple[Any, bool]:
    """``value`` (JSON-like) with every string that quotes the lead replaced by ``REMOVED``,
    and whether anything changed."""
    if isinstance(value, str):
        return (REMOVED, True) if quotes(value, found) else (value, False)
    if isinstance(value, dict):
        pairs = {key: scrub(item, found) for key, item in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
    if isinstance(value, list):
        items = [scrub(item, found) for item in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False
