"""Phone numbers as WhatsApp reports them, turned into one E.164 form per person.

Brazil added a ninth digit to mobile numbers (2012-2016), but WhatsApp still reports many
Brazilian accounts created before that without it: "554199998888" is the same person as
"+5541999998888". Everything Vellarys stores uses the nine-digit form.
"""

from __future__ import annotations

import re

BRAZIL = "55"
_JID_SUFFIXES = ("@s.whatsapp.net", "@c.us")
_SEPARATORS = re.compile(r"[\s\-().\u00a0]")
_DEVICE_SUFFIX = re.compile(r":\d+$")  # "5541999998888:12@s.whatsapp.net" names a linked device


def normalize_phone(raw: str, default_country: str = BRAZIL) -> str:
    """Return ``raw`` as E.164 ("+5541999998888"); raise ``ValueError`` when it is no phone.

    Accepts WhatsApp JIDs ("...@s.whatsapp.net", "...@c.us"), separators, a leading "+" or
    "00", and national numbers (DDD + number) for the default country. Group and privacy ids
    ("@g.us", "@lid") are not phones.
    """
    international, digits = _clean(raw)
    if not international:
        digits = _with_country(digits, default_country)
    if digits.startswith(BRAZIL) and len(digits) in (12, 13):
        return "+" + BRAZIL + _brazil_national(digits[2:], raw)
    if not 8 <= len(digits) <= 15 or digits[0] == "0":
        raise ValueError(f"not a phone number: {raw!r}")
    return "+" + digits


def phone_variants(e164: str) -> list[str]:
    """The forms one Brazilian mobile can take: with and without the ninth digit.

    The given number comes first; numbers outside Brazil have one form.
    """
    if not e164.startswith("+" + BRAZIL):
        return [e164]
    national = e164[3:]
    if len(national) == 11 and national[2] == "9":
        return [e164, f"+{BRAZIL}{national[:2]}{national[3:]}"]
    if len(national) == 10 and national[2] in "6789":
        return [e164, f"+{BRAZIL}{national[:2]}9{national[2:]}"]
    return [e164]


def _clean(raw: str) -> tuple[bool, str]:
    """Strip JID suffixes and separators; return (had an international prefix, digits)."""
    text = raw.strip()
    for suffix in _JID_SUFFIXES:
        if text.endswith(suffix):
            text = _DEVICE_SUFFIX.sub("", text[: -len(suffix)])
    text = _SEPARATORS.sub("", text)
    international = text.startswith("+") or text.startswith("00")
    digits = text[1:] if text.startswith("+") else text[2:] if text.startswith("00") else text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a phone number: {raw!r}")
    return international, digits


def _with_country(digits: str, default_country: str) -> str:
    """Prefix the default country to a national number; leave international digits alone."""
    if default_country != BRAZIL:
        return digits if digits.startswith(default_country) else default_country + digits
    if digits.startswith("0"):  # national trunk prefix: "0 41 99999-8888"
        digits = digits[1:]
    if len(digits) == 10 or (len(digits) == 11 and digits[2] == "9"):
        return BRAZIL + digits
    return digits  # already international, as WhatsApp reports ids ("5541...", "1415...")


def _brazil_national(national: str, raw: str) -> str:
    """Validate DDD + number and add the ninth digit to eight-digit mobiles."""
    ddd, number = national[:2], national[2:]
    if "0" in ddd or number[0] in "01":
        raise ValueError(f"not a Brazilian phone number: {raw!r}")
    if len(number) == 8:
        return ddd + ("9" + number if number[0] in "6789" else number)
    if number[0] != "9":
        raise ValueError(f"a nine-digit Brazilian number must start with 9: {raw!r}")
    return national
