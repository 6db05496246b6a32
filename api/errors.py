"""RFC 9457 problem+json for every error; no stack trace ever reaches a caller.

The one place where the domain's errors (`policy.errors`, rooted in `HoiError`)
become HTTP: `PROBLEMS` maps each error class to its status and problem type.
An error class not in the table (an engine, facts or source failure that escaped,
a configuration error) is answered as an internal error, without its detail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from auth.keys import KeyConfigError
from policy.errors import (
    Conflict,
    Forbidden,
    HoiError,
    InvalidRequest,
    NotEntitled,
    NotFound,
    Unauthenticated,
    Unavailable,
    Unmappable,
)
from policy.legal import LegalBasisError

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://hoi-policy.example/problems/"

log = logging.getLogger("hoi.api")


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem detail. `field` names the part of the request at fault."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldProblem] | None = Field(
        default=None, description="Every invalid field, for a 422."
    )


_WHY: dict[int, str] = {
    401: "No bearer token, or one that is forged, expired, or for another issuer or audience",
    403: "The caller may not do this, or the request names another subject than the token",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "The request body is too large",
    415: "The request body is not JSON",
    422: "The request is invalid; `field` names the part at fault",
    500: "The service failed; nothing was changed",
    503: "A dependency (policy engine, database, identity provider's keys) is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, each as problem+json."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": _WHY.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status == 401:
            entry["headers"] = {
                "WWW-Authenticate": {
                    "description": "The Bearer challenge (RFC 6750)",
                    "schema": {"type": "string"},
                }
            }
        responses[status] = entry
    return responses


AUTHENTICATED = (401, 403, 500, 503)
"""What any route behind the token check may answer besides its own outcomes."""
WITH_BODY = (413, 415, 422)
"""What any route that reads a JSON body may answer."""


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": _TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


@dataclass(frozen=True)
class ProblemType:
    """How the API answers one kind of error."""

    status: int
    title: str
    slug: str
    """The problem type, after `https://hoi-policy.example/problems/`."""


INTERNAL = ProblemType(500, "Internal error", "internal")
_INTERNAL_DETAIL = "The service failed; nothing was changed."

PROBLEMS: dict[type[HoiError], ProblemType] = {
    InvalidRequest: ProblemType(422, "Invalid request", "invalid-request"),
    Unmappable: ProblemType(422, "Cannot be mapped", "unmappable"),
    NotEntitled: ProblemType(422, "Not entitled", "not-entitled"),
    Unauthenticated: ProblemType(401, "Unauthenticated", "unauthenticated"),
    Forbidden: ProblemType(403, "Forbidden", "forbidden"),
    NotFound: ProblemType(404, "Not found", "not-found"),
    Conflict: ProblemType(409, "Conflict", "conflict"),
    Unavailable: ProblemType(503, "Service unavailable", "unavailable"),
    KeyConfigError: ProblemType(503, "Service unavailable", "unavailable"),
    LegalBasisError: ProblemType(500, "Invalid legal-basis catalogue", "legal-basis"),
}
"""Error class to HTTP answer; a subclass answers as its nearest listed ancestor."""


def problem_type(exc: HoiError) -> ProblemType | None:
    """The answer for `exc`'s class, or None: answered as an internal error."""
    for cls in type(exc).__mro__:
        found = PROBLEMS.get(cls)
        if found is not None:
            return found
    return None


def status_of(exc: HoiError) -> int:
    """The HTTP status the API answers `exc` with."""
    kind = problem_type(exc)
    return kind.status if kind is not None else INTERNAL.status


def _challenge(exc: Unauthenticated) -> dict[str, str]:
    """RFC 6750 section 3: the Bearer challenge; no error code when the request had
    no token at all."""
    if exc.missing:
        return {"WWW-Authenticate": 'Bearer realm="hoi-policy"'}
    description = exc.detail.replace('"', "'").replace("\\", "/")
    return {
        "WWW-Authenticate": (
            f'Bearer realm="hoi-policy", error="invalid_token", error_description="{description}"'
        )
    }


def problem_for(exc: HoiError) -> JSONResponse:
    kind = problem_type(exc)
    if kind is None:
        log.error("unhandled error", extra={"error_type": type(exc).__name__})
        return problem(INTERNAL.status, INTERNAL.title, _INTERNAL_DETAIL, INTERNAL.slug)
    extra: dict[str, Any] = {"field": exc.field} if exc.field else {}
    if isinstance(exc, Unmappable):
        extra["errors"] = exc.errors
    headers = _challenge(exc) if isinstance(exc, Unauthenticated) else None
    return problem(kind.status, kind.title, exc.detail, kind.slug, headers=headers, **extra)


async def _hoi_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HoiError)
    return problem_for(exc)


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
    title = HTTPStatus(exc.status_code).phrase
    # Keep the headers Starlette sets (Allow on a 405).
    return problem(
        exc.status_code,
        title,
        str(exc.detail),
        "http-error",
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", extra={"error_type": type(exc).__name__})
    return problem(INTERNAL.status, INTERNAL.title, _INTERNAL_DETAIL, INTERNAL.slug)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HoiError, _hoi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
