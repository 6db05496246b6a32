"""The decision API as a PEP sees it: strict input, problem+json, health."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEFAULT_SUBJECT, AppFactory

EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "caseworker-psychiatry.json").read_text()
)


def _with(path: list[str], value: Any) -> dict[str, Any]:
    """The README example, naming the token's own subject, with one value changed."""
    body: dict[str, Any] = copy.deepcopy({**EXAMPLE, "subject": DEFAULT_SUBJECT})
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def test_readme_example_permits_psychiatry_data(make_client: AppFactory) -> None:
    client = make_client()
    response = client.post("/v1/decisions", json=EXAMPLE)
    assert response.status_code == 200
    decision = response.json()
    appointments = decision["categories"]["psychiatry_appointments"]
    assert appointments["decision"] == "permit"
    assert appointments["fields"] == ["date", "time", "department", "status"]
    assert appointments["legal_basis"] == ["sul-43-1", "sul-44"]
    assert len(appointments["relied_on"]["consents"]) == 2
    assert decision["categories"]["school_daycare"]["decision"] == "deny"
    assert decision["engine"] == "embedded"
    assert decision["policy_revision"].startswith("sha256:")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["resource", "child_cpr"], "12345", "resource.child_cpr"),
        (["resource", "child_cpr"], "3213101234", "resource.child_cpr"),
        (["resource", "categories"], ["psychiatry_diagnoses"], "resource.categories.0"),
        (["resource", "categories"], [], "resource.categories"),
        (["context", "purpose"], "curiosity", "context.purpose"),
        (["subject", "organisation", "type"], "school", "subject.organisation.type"),
        (["subject", "clearance"], "top", "subject.clearance"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    make_client: AppFactory, path: list[str], value: Any, field: str
) -> None:
    response = make_client().post("/v1/decisions", json=_with(path, value))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == field
    assert problem["status"] == 422
    assert field in problem["detail"]


def test_oversized_body_is_refused(make_client: AppFactory) -> None:
    client = make_client(max_body_bytes=2048)
    body = _with(["context", "case_reference"], "x" * 4096)
    response = client.post("/v1/decisions", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "body"


def test_time_far_from_the_service_clock_is_refused(make_client: AppFactory) -> None:
    body = _with(["context", "time"], "2020-01-01T10:00:00+00:00")
    response = make_client().post("/v1/decisions", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == "context.time"


def test_health_and_readiness(make_client: AppFactory) -> None:
    client = make_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def test_openapi_names_the_decision_operation(make_client: AppFactory) -> None:
    spec = make_client().get("/openapi.json").json()
    assert spec["paths"]["/v1/decisions"]["post"]["operationId"] == "createDecision"
