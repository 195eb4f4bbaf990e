"""Text out of uploaded PDF files (pypdf, pure Python)."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

from vellarys.errors import BadRequest

# pypdf logs a warning for every small defect of real-world files; they are not our errors.
logging.getLogger("pypdf").setLevel(logging.ERROR)

UNREADABLE = "O PDF não pôde ser lido"


def pdf_text(data: bytes) -> str:
    """The text of every page, pages separated by a blank line; ``BadRequest`` when unreadable."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise BadRequest(UNREADABLE)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many exception types on malformed files
        raise BadRequest(UNREADABLE) from exc
    return "\n\n".join(page.strip() for page in pages if page.strip())
