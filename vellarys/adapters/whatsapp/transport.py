"""The one place the WhatsApp adapters call httpx: every failure leaves as a ``ProviderError``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from vellarys.adapters.outbound import BlockedAddress
from vellarys.domain.media import FetchedMedia, MediaRefused
from vellarys.errors import ProviderError

# Reads a non-2xx answer (status, JSON body or raw text) into the error to raise.
ErrorReader = Callable[[int, Any], ProviderError]


async def post_json(
    http: httpx.AsyncClient,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    payload: Mapping[str, Any],
    read_error: ErrorReader,
) -> Any:
    """POST ``payload`` and return the decoded 2xx answer (JSON, or text when not JSON).

    Timeouts and connection failures are retryable. The URL never goes into a message:
    some providers put their token in the path.
    """
    return await _post(
        http,
        url,
        provider=provider,
        read_error=read_error,
        headers=dict(headers),
        json=dict(payload),
    )


async def post_file(
    http: httpx.AsyncClient,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    fields: Mapping[str, str],
    file: tuple[str, bytes, str],
    read_error: ErrorReader,
) -> Any:
    """POST a multipart form with one file (name, bytes, content type); as ``post_json``."""
    return await _post(
        http,
        url,
        provider=provider,
        read_error=read_error,
        headers=dict(headers),
        data=dict(fields),
        files={"file": file},
    )


async def _post(
    http: httpx.AsyncClient, url: str, *, provider: str, read_error: ErrorReader, **request: Any
) -> Any:
    try:
        response = await http.post(url, **request)
    except BlockedAddress as exc:
        raise ProviderError(f"{provider} address refused ({exc})") from None
    except httpx.TimeoutException as exc:
        raise ProviderError(
            f"{provider} timed out ({type(exc).__name__})", retryable=True
        ) from None
    except httpx.TransportError as exc:
        raise ProviderError(
            f"{provider} is unreachable ({type(exc).__name__}: {exc})", retryable=True
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ProviderError(f"{provider} request failed ({type(exc).__name__})") from None
    body = _decode(response)
    if response.is_success:
        return body
    raise read_error(response.status_code, body)


def http_error(
    provider: str, status: int, message: str, *, code: str | None = None
) -> ProviderError:
    """The default mapping: 408, 429 and 5xx are worth retrying, other 4xx are not."""
    retryable = status in (408, 429) or status >= 500
    return ProviderError(
        f"{provider} answered {status}: {message}",
        retryable=retryable,
        provider_status=status,
        provider_code=code,
    )


def unexpected_answer(provider: str, body: Any) -> ProviderError:
    """A 2xx without a message id. Not retryable: the message may have gone out."""
    return ProviderError(f"{provider} answered without a message id: {str(body)[:200]}")


def _decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


async def download(
    http: httpx.AsyncClient,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    max_bytes: int,
) -> FetchedMedia:
    """GET a file, stopping as soon as it passes ``max_bytes`` (``MediaRefused``)."""
    try:
        async with http.stream("GET", url, headers=dict(headers)) as response:
            if not response.is_success:
                raise http_error(provider, response.status_code, "the media download failed")
            announced = int(response.headers.get("content-length") or 0)
            if announced > max_bytes:
                raise MediaRefused(f"the file has {announced} bytes (at most {max_bytes})")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise MediaRefused(f"the file has more than {max_bytes} bytes")
                chunks.append(chunk)
            return FetchedMedia(b"".join(chunks), response.headers.get("content-type", ""))
    except httpx.TimeoutException as exc:
        raise ProviderError(
            f"{provider} media timed out ({type(exc).__name__})", retryable=True
        ) from None
    except httpx.TransportError as exc:
        raise ProviderError(
            f"{provider} media is unreachable ({type(exc).__name__})", retryable=True
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ProviderError(f"{provider} media request failed ({type(exc).__name__})") from None


async def get_json(
    http: httpx.AsyncClient,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    read_error: ErrorReader,
) -> Any:
    """GET a JSON document (a media's metadata); failures as in ``post_json``."""
    try:
        response = await http.get(url, headers=dict(headers))
    except httpx.TimeoutException as exc:
        raise ProviderError(
            f"{provider} timed out ({type(exc).__name__})", retryable=True
        ) from None
    except httpx.TransportError as exc:
        raise ProviderError(
            f"{provider} is unreachable ({type(exc).__name__})", retryable=True
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ProviderError(f"{provider} request failed ({type(exc).__name__})") from None
    body = _decode(response)
    if response.is_success:
        return body
    raise read_error(response.status_code, body)
