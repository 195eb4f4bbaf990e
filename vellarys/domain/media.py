"""Media a lead sends (voice notes, pictures, documents, videos): which are fetched, which
content types each kind accepts, and what text read from them points at in the catalog."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# The kinds downloaded and stored; stickers and reactions are not worth the bytes.
FETCHED_KINDS = frozenset({"audio", "image", "document", "video"})
_ACCEPTED: dict[str, tuple[str, ...]] = {
    "audio": ("audio/",),
    "image": ("image/",),
    "video": ("video/",),
    "document": ("application/pdf", "application/", "text/plain", "image/"),
}
# Providers that serve every file as a byte stream: the kind's mime type from the webhook wins.
_UNTYPED = ("application/octet-stream", "binary/octet-stream", "")
# A host starts after a scheme or where no host character precedes it (linear on long runs).
_PORTAL_URL = re.compile(
    r"(?:https?://|(?<![a-z0-9./:-]))(?:www\.)?[a-z0-9.-]+\.com(?:\.br)?/\S+", re.IGNORECASE
)
_PRICE = re.compile(r"R\$\s*([\d.]+(?:,\d{2})?)")
_MAX_ECHO = 160


class MediaRefused(ValueError):
    """A file we do not keep (too big, wrong type); ``str(exc)`` says why in English."""


@dataclass(frozen=True, slots=True)
class CatalogHint:
    """What text read from a picture points at: a listing code, else a portal URL or a price."""

    code: str | None = None
    url: str | None = None
    price: str | None = None


def needs_fetch(kind: str, media: dict[str, object]) -> bool:
    """A message whose file is fetched and read before answering: it names a media id or a
    URL, or (simulator) the file was uploaded with it."""
    return kind in FETCHED_KINDS and bool(
        media.get("media_id") or media.get("url") or media.get("upload")
    )


def content_type_for(kind: str, served: str | None, declared: str | None) -> str:
    """The content type to check and store: what the server said, unless it said nothing useful."""
    served_type = (served or "").split(";")[0].strip().lower()
    if served_type in _UNTYPED:
        return (declared or "").split(";")[0].strip().lower()
    return served_type


def check_media(kind: str, *, content_type: str, size: int, max_bytes: int) -> None:
    """Raise ``MediaRefused`` unless a ``kind`` file of ``content_type`` and ``size`` is kept."""
    if size > max_bytes:
        raise MediaRefused(f"the file has {size} bytes (at most {max_bytes})")
    if size == 0:
        raise MediaRefused("the file is empty")
    prefixes = _ACCEPTED.get(kind, ())
    if not any(content_type.startswith(prefix) for prefix in prefixes):
        raise MediaRefused(f"a {kind} cannot be of type {content_type or 'unknown'}")


def fold(text: str) -> str:
    """Lower case without accents, for matching what OCR or speech read against names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def find_code(text: str, codes: Iterable[str]) -> str | None:
    """The first listing code (whole word, any case) that ``text`` contains."""
    folded = fold(text)
    for code in sorted(codes, key=len, reverse=True):
        if re.search(rf"(?<![a-z0-9]){re.escape(fold(code))}(?![a-z0-9])", folded):
            return code
    return None


def catalog_hint(text: str, codes: Iterable[str]) -> CatalogHint:
    """What in ``text`` (OCR of a screenshot) can be looked up in the catalog."""
    code = find_code(text, codes)
    url = _PORTAL_URL.search(text)
    price = _PRICE.search(text)
    return CatalogHint(
        code=code,
        url=url.group(0) if url else None,
        price=price.group(0) if price else None,
    )


def transcription_prompt(neighborhoods: Sequence[str], codes: Sequence[str]) -> str:
    """Words the speech model should expect: the agency's neighbourhoods and listing codes,
    written as a lead would say them (Whisper reads its prompt as the text said before;
    a list with labels gets echoed into the transcript)."""
    parts = ["Oi! Procuro um imóvel"]
    if neighborhoods:
        parts.append(" em " + ", ".join(neighborhoods[:40]))
    if codes:
        parts.append(", código " + ", ".join(codes[:40]))
    return "".join(parts) + "."


def understood_line(transcript: str) -> str:
    """The line that shows a voice note was understood: ``Entendi: _…_``."""
    said = " ".join(transcript.split())
    if len(said) > _MAX_ECHO:
        said = said[: _MAX_ECHO - 1].rsplit(" ", 1)[0] + "…"
    return f"Entendi: _{said}_"


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """A file as a provider served it."""

    data: bytes
    content_type: str


# What staff may send from the dashboard, recognised by the file's first bytes (the browser's
# content type is only a claim): WhatsApp takes JPEG and PNG pictures and PDF documents.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image", "image/png"),
    (b"%PDF-", "document", "application/pdf"),
)


def outgoing_kind(data: bytes) -> tuple[str, str] | None:
    """``(kind, content type)`` of a file staff send, or None when WhatsApp would refuse it."""
    for signature, kind, content_type in _SIGNATURES:
        if data.startswith(signature):
            return kind, content_type
    return None
