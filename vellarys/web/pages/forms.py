"""Reading submitted forms as plain strings."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from vellarys.domain.message import clean_text


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of the submitted form (files and the CSRF token left out), without
    NUL or other characters the database cannot store."""
    form = await request.form()
    return {
        clean_text(k): clean_text(v)
        for k, v in form.multi_items()
        if isinstance(v, str) and k != "csrf_token"
    }


async def form_file(request: Request, name: str) -> UploadFile | None:
    value = (await request.form()).get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None
