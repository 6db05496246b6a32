"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

For every operation, schemathesis generates requests from the schema and checks
each answer: no 5xx, the status is one the schema declares, the content type and
body match the schema, declared headers are there, and (`ignored_auth`) an
operation that declares bearer auth answers 401 when the token is removed or
replaced by a made-up one. Bounded: FUZZ_EXAMPLES per operation, no deadline
(timings are not asserted in tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.transports import RequestsTransport
from starlette_testclient import TestClient as ASGIClient

from api.app import create_app
from api.authn import is_public
from api.settings import Settings
from tests.conftest import AppFactory, auth_headers, signing_key_file

FUZZ_EXAMPLES = int(os.environ.get("HOI_FUZZ_EXAMPLES", "40"))


BASE_URL = "http://testserver"


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
        loaded.transport = OneClient(client)
        yield loaded


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_its_schema_says(case: Any) -> None:
    headers = auth_headers()
    response = case.call(headers=headers)
    case.validate_response(response, headers=headers, transport_kwargs={"headers": headers})


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
