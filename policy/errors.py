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

    def headers(self) -> dict[str, str]:
        """HTTP headers the API adds to the problem response."""
        return {}


class InvalidRequest(HoiError):
    status = 422
    title = "Invalid request"
    type_slug = "invalid-request"


class Unauthenticated(HoiError):
    """No usable bearer token: missing, malformed, forged, expired, or not for us."""

    status = 401
    title = "Unauthenticated"
    type_slug = "unauthenticated"

    def __init__(self, detail: str, *, missing: bool = False) -> None:
        super().__init__(detail, field="authorization")
        self.missing = missing

    def headers(self) -> dict[str, str]:
        # RFC 6750 section 3: no error code when the request had no token at all.
        if self.missing:
            return {"WWW-Authenticate": 'Bearer realm="hoi-policy"'}
        description = self.detail.replace('"', "'").replace("\\", "/")
        return {
            "WWW-Authenticate": (
                f'Bearer realm="hoi-policy", error="invalid_token", '
                f'error_description="{description}"'
            )
        }


class Forbidden(HoiError):
    """A valid caller who may not do this, or who claims to be someone else."""

    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


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
