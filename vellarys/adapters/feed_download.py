"""Download a listing feed to a temporary file, streamed, with a size cap and a time budget.

The file (not memory) holds the feed so that parsing streams from disk whatever its size.
"""

from __future__ import annotations

import tempfile
from typing import IO

import httpx

from vellarys.adapters.outbound import GuardedTransport
from vellarys.errors import ProviderError

MAX_FEED_BYTES = 200 * 1024 * 1024
CHUNK = 64 * 1024


async def download(
    url: str, *, allow_private: bool, seconds: float = 120.0, max_bytes: int = MAX_FEED_BYTES
) -> IO[bytes]:
    """The feed at ``url`` in a temporary file positioned at its start (closing deletes it).
    ``ProviderError`` when it cannot be fetched, answers an error or is too large. The
    project's guarded transport refuses private and loopback targets unless allowed."""
    if not url.startswith(("http://", "https://")):
        raise ProviderError("O feed precisa de um endereço http(s).")
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        await _fetch(url, target, seconds=seconds, max_bytes=max_bytes, allow_private=allow_private)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


async def _fetch(
    url: str, target: IO[bytes], *, seconds: float, max_bytes: int, allow_private: bool
) -> None:
    try:
        async with (
            httpx.AsyncClient(
                timeout=seconds,
                follow_redirects=True,
                max_redirects=3,
                transport=GuardedTransport(allow_private=allow_private),
            ) as http,
            http.stream("GET", url, headers={"Accept": "application/xml, text/xml"}) as response,
        ):
            if response.status_code >= 400:
                raise ProviderError(f"O feed respondeu HTTP {response.status_code}.")
            size = 0
            async for chunk in response.aiter_bytes(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError(f"O feed passa de {max_bytes // (1024 * 1024)} MB.")
                target.write(chunk)
    except httpx.HTTPError as exc:
        raise ProviderError(f"Não foi possível baixar o feed: {type(exc).__name__}.") from exc
