"""One error hierarchy for the whole service, rooted in `HoiError`.

The errors say what went wrong in the domain's terms; they know nothing of HTTP.
The API maps each kind to a status and an RFC 9457 problem type at its boundary
(`api/errors.py`); the command line prints them. Causes are kept with
`raise ... from`.
"""

from __future__ import annotations

from typing import Literal


class HoiError(Exception):
    """Root of every error we raise on purpose. `field` names the part of the
    request (or configuration) at fault, when there is one."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidRequest(HoiError):
    """The request is invalid; `field` names the part at fault."""


class ConfigError(HoiError):
    """The service's configuration is unusable or unsafe (settings, source list,
    keys, legal-basis files): the service does not start. `field` names the setting
    or entry at fault."""


TokenRefusal = Literal[
    "missing",
    "malformed",
    "untrusted_key",
    "algorithm",
    "signature",
    "type",
    "expired",
    "claims",
    "lifetime",
    "replayed",
]


class Unauthenticated(HoiError):
    """No usable bearer token: missing, malformed, forged, expired, or not for us.
    `missing`: the request carried no token at all. `reason`: a short code for the
    operators' metrics (never the token or a claim's value)."""

    def __init__(
        self, detail: str, *, missing: bool = False, reason: TokenRefusal = "claims"
    ) -> None:
        super().__init__(detail, field="authorization")
        self.missing = missing
        self.reason: TokenRefusal = "missing" if missing else reason


class Forbidden(HoiError):
    """A valid caller who may not do this, or who claims to be someone else."""


class NotEntitled(HoiError):
    """The person may not record this (a consent, an objection) for this child."""


class Unmappable(InvalidRequest):
    """A document in an exchange format (FHIR) that cannot be mapped without losing
    meaning. Every problem is listed; nothing is silently dropped."""

    def __init__(self, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail, field=errors[0]["field"] if errors else None)
        self.errors = errors


class NotFound(HoiError):
    """The thing asked for does not exist (or the caller may not know it does)."""


class Conflict(HoiError):
    """Conflicts with the current state."""


class Unavailable(HoiError):
    """A dependency (database, identity provider's keys, policy engine) cannot answer now."""
