"""RFC 9457 problem+json for every error; no stack trace ever reaches a caller."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from policy.errors import HoiError, Unmappable

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://hoi-policy.example/problems/"

log = logging.getLogger("hoi.api")


def problem(status: int, title: str, detail: str, slug: str, **extra: Any) -> JSONResponse:
    body = {"type": _TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


async def _hoi_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HoiError)
    extra: dict[str, Any] = {"field": exc.field} if exc.field else {}
    if isinstance(exc, Unmappable):
        extra["errors"] = exc.errors
    return problem(exc.status, exc.title, exc.detail, exc.type_slug, **extra)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return problem(
        422,
        "Invalid request",
        f"{first['field']}: {first['message']}",
        "invalid-request",
        field=first["field"],
        errors=errors,
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail), "http-error")


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", extra={"error_type": type(exc).__name__})
    return problem(500, "Internal error", "The service failed; nothing was changed.", "internal")


def install(app: FastAPI) -> None:
    app.add_exception_handler(HoiError, _hoi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
