"""The one error tree of Vellarys.

Each class carries the HTTP status it renders as and whether a job that hit it
should be retried. The class docstring is the default message.
"""

from __future__ import annotations


class VellarysError(Exception):
    """Something went wrong."""

    status_code: int = 500
    retryable: bool = False

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        super().__init__(self.message)


class BadRequest(VellarysError):
    """The request is invalid."""

    status_code = 400


class Unauthorized(VellarysError):
    """Authentication failed."""

    status_code = 401


class Forbidden(VellarysError):
    """You are not allowed to do that."""

    status_code = 403


class NotFound(VellarysError):
    """Not found."""

    status_code = 404


class Conflict(VellarysError):
    """The request conflicts with the current state."""

    status_code = 409


class PayloadTooLarge(VellarysError):
    """The request body is too large."""

    status_code = 413


class DatabaseUnavailable(VellarysError):
    """The database is unreachable; try again later."""

    status_code = 503
    retryable = True


class Overloaded(VellarysError):
    """Too many requests are waiting; try again shortly."""

    status_code = 503
    retryable = True


class ProviderError(VellarysError):
    """The messaging provider refused or failed the request."""

    status_code = 502

    def __init__(
        self,
        message: str | None = None,
        *,
        retryable: bool = False,
        provider_status: int | None = None,
        provider_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.provider_status = provider_status
        self.provider_code = provider_code


class OutsideServiceWindow(ProviderError):
    """WhatsApp refuses free text more than 24 hours after the lead's last message."""


class LLMError(VellarysError):
    """The language model failed or answered something unusable."""

    status_code = 502
    retryable = True


class EmbeddingError(VellarysError):
    """The embedding model failed."""

    status_code = 502
    retryable = True


class QueryTimeout(VellarysError):
    """The database took too long to answer and the query was cancelled."""

    status_code = 503
    retryable = True


class MediaReadError(VellarysError):
    """A voice note or picture could not be read (transcription or OCR failed)."""

    status_code = 502
