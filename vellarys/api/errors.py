"""One JSON error shape for the whole API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from vellarys.errors import VellarysError


def error_body(code: str, message: str, details: object = None) -> dict[str, object]:
    error: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


# What a client is told to wait before retrying a 503 (the database away, a query cancelled).
RETRY_AFTER_SECONDS = 5


def error_response(exc: VellarysError) -> JSONResponse:
    """The project's error shape; a retryable 503 says when to come back."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.status_code == 503 else None
    body = error_body(type(exc).__name__, exc.message)
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def _vellarys_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VellarysError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]
    return JSONResponse(
        error_body("ValidationError", "The request is invalid.", details), status_code=422
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VellarysError, _vellarys_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
