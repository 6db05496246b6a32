"""One error root, HTTP only at the API boundary: every error we raise on purpose
is a `HoiError`; the domain's errors carry no HTTP status; `api.errors.PROBLEMS`
is the only table from error to status and problem type."""

from __future__ import annotations

import inspect
import json

import pytest

import policy.errors
from api.errors import PROBLEMS, problem_for, problem_type, status_of
from audit.log import AuditUnavailable
from auth.keys import KeyConfigError
from broker.client import SourceError, SourceNotConfigured
from engine.base import EngineError
from handbook.conventions import OpaParseError
from handbook.worlds import AS_THE_API_ANSWERS, as_the_api_answers
from policy.errors import (
    ConfigError,
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
from policy.facts import FactsUnavailable
from policy.legal import LegalBasisError

DOMAIN_ERRORS = [
    cls
    for _, cls in inspect.getmembers(policy.errors, inspect.isclass)
    if issubclass(cls, HoiError) and cls.__module__ == "policy.errors"
]


@pytest.mark.parametrize(
    "error",
    [
        EngineError,
        FactsUnavailable,
        SourceError,
        SourceNotConfigured,
        KeyConfigError,
        LegalBasisError,
        OpaParseError,
        ConfigError,
        AuditUnavailable,
    ],
)
def test_every_error_we_raise_on_purpose_has_one_root(error: type[Exception]) -> None:
    assert issubclass(error, HoiError)


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda c: c.__name__)
def test_the_domain_errors_know_nothing_of_http(error: type[HoiError]) -> None:
    for name in ("status", "title", "type_slug", "headers"):
        assert not hasattr(error, name), f"{error.__name__}.{name}"


def test_start_up_configuration_mistakes_are_config_errors_not_invalid_requests() -> None:
    for error in (KeyConfigError, LegalBasisError):
        assert issubclass(error, ConfigError)
        assert not issubclass(error, InvalidRequest)


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (InvalidRequest("x"), 422, "invalid-request"),
        (Unmappable("x", [{"field": "f", "message": "m"}]), 422, "unmappable"),
        (NotEntitled("x"), 422, "not-entitled"),
        (Unauthenticated("x"), 401, "unauthenticated"),
        (Forbidden("x"), 403, "forbidden"),
        (NotFound("x"), 404, "not-found"),
        (Conflict("x"), 409, "conflict"),
        (Unavailable("x"), 503, "unavailable"),
        (AuditUnavailable("x"), 503, "unavailable"),
        (KeyConfigError("x"), 503, "unavailable"),
        (LegalBasisError("f.yaml", 3, None, "x"), 500, "legal-basis"),
    ],
)
def test_the_api_answers_each_error_as_before(error: HoiError, status: int, slug: str) -> None:
    kind = problem_type(error)
    assert kind is not None
    assert (kind.status, kind.slug) == (status, slug)
    assert status_of(error) == status
    response = problem_for(error)
    assert response.status_code == status
    body = json.loads(bytes(response.body))
    assert body["type"].endswith("/" + slug)
    assert body["detail"] == error.detail


@pytest.mark.parametrize(
    "error",
    [
        EngineError("opa exited with code 1: /var/lib/secret/bundle"),
        FactsUnavailable("the CPR register did not answer (timeout)"),
        SourceError("bad_response"),
        ConfigError("HOI_SOMETHING is wrong"),
        OpaParseError("rego/x.rego: parse error"),
        HoiError("the root itself"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_unlisted_error_is_an_internal_error_that_shows_nothing(error: HoiError) -> None:
    """Abuse: an engine, facts or source failure that escapes to the boundary must
    not tell the caller what failed inside (paths, registers, configuration)."""
    response = problem_for(error)
    assert response.status_code == 500
    body = json.loads(bytes(response.body))
    assert body["type"].endswith("/internal")
    assert error.detail not in body["detail"]
    assert body["detail"] == "The service failed; nothing was changed."


def test_the_unauthenticated_challenge_is_added_at_the_boundary() -> None:
    missing = problem_for(Unauthenticated("no token", missing=True))
    assert missing.headers["www-authenticate"] == 'Bearer realm="hoi-policy"'
    forged = problem_for(Unauthenticated('a "quoted" \\ reason'))
    challenge = forged.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert "error_description=\"a 'quoted' / reason\"" in challenge


@pytest.mark.parametrize(("kind", "status", "slug"), AS_THE_API_ANSWERS)
def test_the_handbook_reports_refusals_as_the_api_answers_them(
    kind: type[HoiError], status: int, slug: str
) -> None:
    """The handbook simulates the API's answers without importing it; the two agree."""
    error = Unmappable("x", []) if kind is Unmappable else kind("x")
    answer = problem_type(error)
    assert answer is not None
    assert (answer.status, answer.slug) == (status, slug) == as_the_api_answers(error)


def test_every_listed_error_is_a_hoi_error() -> None:
    assert all(issubclass(cls, HoiError) for cls in PROBLEMS)
