"""One error hierarchy for the whole service. The API turns these into
RFC 9457 problem+json responses; causes are kept with `raise ... from`."""

from __future__ import annotations


class HoiError(Exception):
    """Root of every error we raise on purpose."""

    status = 500
    title = "Internal error"
    type_slug = "internal"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidRequest(HoiError):
    status = 422
    title = "Invalid request"
    type_slug = "invalid-request"


class NotEntitled(HoiError):
    status = 422
    title = "Not entitled"
    type_slug = "not-entitled"


class Unmappable(InvalidRequest):
    """A document in an exchange format (FHIR) that cannot be mapped without losing
    meaning. Every problem is listed; nothing is silently dropped."""

    title = "Cannot be mapped"
    type_slug = "unmappable"

    def __init__(self, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail, field=errors[0]["field"] if errors else None)
        self.errors = errors


class NotFound(HoiError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(HoiError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Unavailable(HoiError):
    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"
