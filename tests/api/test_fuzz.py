"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

For every operation, schemathesis generates requests from the schema, valid ones
(positive) and invalid ones (negative), and checks each answer: no 5xx, the
status is one the schema declares, the content type and body match the schema,
declared headers are there, invalid data is refused with a 4xx, and
(`ignored_auth`) an operation that declares bearer auth answers 401 when the
token is removed or replaced by a made-up one. A stateful run follows the
schema's links (a listed consent's id into getConsent, a decision's id into its
audit records, ...). Bounded: FUZZ_EXAMPLES per operation (200 in CI), no
deadline (timings are not asserted in tests).

The caller is the default caseworker, an auditor for the audit routes. Who may
write to the registry is not assumed: a 403 is an answer like any other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis.stateful import rule
from schemathesis import DataGenerationMethod
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.transports import RequestsTransport
from starlette_testclient import TestClient as ASGIClient

from api.authn import is_public
from api.settings import Settings
from sandbox.app import create_app
from tests.conftest import AppFactory, auditor_headers, auth_headers, signing_key_file

IN_CI = os.environ.get("CI") == "true"
FUZZ_EXAMPLES = int(os.environ.get("HOI_FUZZ_EXAMPLES", "200" if IN_CI else "40"))
STATEFUL_EXAMPLES = int(os.environ.get("HOI_FUZZ_STATEFUL_EXAMPLES", "50" if IN_CI else "15"))


BASE_URL = "http://testserver"
SEEDED_CHILD = "6809144615"
"""A child of the synthetic population with consents in the seeded registry."""


class OneClient(RequestsTransport):
    """Sends every request (the checks' own too) through one started test client.

    schemathesis' ASGI transport would open a client, and so a new event-loop
    thread and a new lifespan, for every request."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def send(
        self, case: Any, *, session: Any = None, base_url: str | None = None, **kwargs: Any
    ) -> Any:
        return super().send(case, session=self.client, base_url=base_url or BASE_URL, **kwargs)


REFUSED_BODY = (413, 415)


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("fuzz")
    return create_app(Settings(environment="test", var_dir=folder, dev_key_file=signing_key_file()))


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> Iterator[Any]:
    # FastAPI writes OpenAPI 3.1; schemathesis 3.x supports it behind this switch.
    schemathesis.experimental.OPEN_API_3_1.enable()
    loaded = schemathesis.from_dict(fuzzed_app.openapi(), base_url=BASE_URL)
    with ASGIClient(fuzzed_app, base_url=BASE_URL) as client:  # runs the lifespan once
        # The handbook is built once, on first use; build it before fuzzing, so the
        # first fuzzed GET /policy does not also time its one-off build.
        assert client.get("/policy").status_code == 200
        loaded.transport = OneClient(client)
        yield loaded


schema = schemathesis.from_pytest_fixture(
    "api_schema",
    data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
)


def headers_for(case: Any) -> dict[str, str]:
    """An auditor for the audit routes (else every answer there is 403); the
    default caseworker everywhere else."""
    return auditor_headers() if case.path.startswith("/v1/audit") else auth_headers()


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_its_schema_says(case: Any) -> None:
    headers = headers_for(case)
    # Our token replaces the generated one in the case itself too, so that a
    # "negative" case whose only invalid part was that generated token is not
    # taken for invalid data the service accepted.
    case.headers = {**(case.headers or {}), **headers}
    _absent_is_not_negated(case)
    response = case.call(headers=headers)
    # An operation that takes nothing but the token has no invalid form. A 413 (body
    # too large) or 415 (body not JSON) is our refusal of the data, one the check's
    # default list of rejections does not name.
    rejected = response.status_code in REFUSED_BODY
    excluded = () if _has_inputs(case) and not rejected else (negative_data_rejection,)
    case.validate_response(
        response, headers=headers, transport_kwargs={"headers": headers}, excluded_checks=excluded
    )


def _absent_is_not_negated(case: Any) -> None:
    """schemathesis 3.x marks the parts an operation does not have (the body of a
    GET, the path parameters of /v1/audit) as negated, and then takes a case whose
    only change is one the request never carries for invalid data that was
    accepted."""
    if case.meta is None:
        return
    absent = {
        part: None
        for part in ("path_parameters", "query", "headers", "cookies", "body")
        if not len(getattr(case.operation, part))
    }
    # A query parameter "negated" into an empty list is not sent at all: on the
    # wire the request is valid, so the service rightly accepts it.
    if isinstance(case.query, dict):
        empty = [name for name, value in case.query.items() if value == []]
        for name in empty:
            del case.query[name]
        if empty or _query_valid_on_the_wire(case):
            absent["query"] = None
    case.meta = dataclasses.replace(case.meta, **absent)


def _query_valid_on_the_wire(case: Any) -> bool:
    """A query "negated" only in its JSON type (the integer 0 for a string
    parameter) is the same text on the wire, `organisation_id=0`, and valid:
    the service rightly accepts it. So is one negated only by a parameter the
    operation does not have: like most HTTP APIs, ours ignores query parameters
    it does not know (an extra one changes nothing in the answer)."""
    schemas = {p.name: p.definition.get("schema", {}) for p in case.operation.query}
    for name, value in case.query.items():
        if name not in schemas:
            continue
        # A None or an empty list is not sent at all.
        if not all(_text_valid(schemas[name], str(item)) for item in _on_the_wire(value)):
            return False
    return True


def _on_the_wire(value: Any) -> list[Any]:
    """The values a query parameter puts on the wire: lists (nested too) are
    spread out, and None and empty lists send nothing."""
    if value is None:
        return []
    if isinstance(value, list):
        return [sent for item in value for sent in _on_the_wire(item)]
    return [value]


def _text_valid(schema: dict[str, Any], text: str) -> bool:
    validator = jsonschema.validators.validator_for(schema)(schema)
    readings: list[Any] = [text]
    for read in (int, float):
        with contextlib.suppress(ValueError):
            readings.append(read(text))
    readings += [{"true": True, "false": False}[text]] if text in ("true", "false") else []
    return any(validator.is_valid(reading) for reading in readings)


def _has_inputs(case: Any) -> bool:
    """Whether the operation takes anything but the bearer token."""
    operation = case.operation
    headers = [h for h in operation.headers if h.name.lower() != "authorization"]
    return any(
        len(p) for p in (operation.path_parameters, operation.query, headers, operation.body)
    )


def test_linked_operations_answer_as_their_schema_says(api_schema: Any) -> None:
    """Sequences of calls along the schema's links, each answer checked as above."""

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # A made-up CPR number is an unknown child (404) and leads nowhere; the
            # test above covers those. Here every call is about a seeded child.
            if "cpr" in (case.path_parameters or {}):
                case.path_parameters["cpr"] = SEEDED_CHILD

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers_for(case)}

        def _add_results_to_targets(self, targets: Any, results: Any) -> None:
            # Hypothesis renamed the hook schemathesis 3.x overrides to put an
            # answer in the bundle of its links (`_add_result_to_targets`); without
            # this, no link is ever followed.
            for result in results:
                target = None if result is None else self._get_target_for_result(result)
                if target is not None:
                    super()._add_results_to_targets((target,), [result])

        @rule()
        def wait(self) -> None:
            """Always possible. schemathesis 3.x allows no first call once any call
            was made, so a first call whose answer has no link to follow (an unknown
            child: 404) would leave Hypothesis no rule to run."""

        def validate_response(
            self, response: Any, case: Any, additional_checks: tuple[Any, ...] = ()
        ) -> None:
            # Name the headers we sent as ours, so `ignored_auth` replaces our token
            # (as in the test above) rather than taking it for a generated one.
            kwargs = self._transport_kwargs
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=kwargs["headers"],
                transport_kwargs=kwargs,
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_the_schema_links_each_created_or_listed_entry_to_its_operations(
    fuzzed_app: FastAPI,
) -> None:
    paths = fuzzed_app.openapi()["paths"]
    created = paths["/v1/children/{cpr}/consents"]["post"]["responses"]["201"]["links"]
    assert created["GetConsent"] == {
        "operationId": "getConsent",
        "parameters": {"path.consent_id": "$response.body#/id", "path.cpr": "$request.path.cpr"},
    }
    decided = paths["/v1/decisions"]["post"]["responses"]["200"]["links"]
    assert decided["ReadAuditRecords"]["parameters"] == {
        "path.decision_id": "$response.body#/decision_id"
    }


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [(path, method, op) for path, ops in paths.items() for method, op in ops.items()]


def test_every_operation_but_the_public_ones_declares_bearer_auth(fuzzed_app: FastAPI) -> None:
    for path, method, operation in _operations(fuzzed_app):
        if is_public(path):
            assert "security" not in operation, (method, path)
        else:
            assert operation.get("security") == [{"bearerAuth": []}], (method, path)
            assert "401" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not.a.token", "Bearer " + "e30." * 2 + "c2ln", "Basic YTpi"],
    ids=["missing", "garbage", "unsigned", "basic"],
)
def test_every_protected_operation_refuses_a_missing_or_bad_token(
    make_client: AppFactory, authorization: str | None
) -> None:
    client = make_client(anonymous=True)
    headers = {"Authorization": authorization} if authorization else {}
    for path, method, _ in _operations(client.app):  # type: ignore[arg-type]
        if is_public(path):
            continue
        url = path.replace("{cpr}", "6809144615").replace("{consent_id}", "consent-1")
        response = client.request(method.upper(), url, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
