"""Our AuthZEN requests and responses against the official JSON Schemas
(shared/conformance/authzen, from the OpenID AuthZEN repository).

The 1.0-05 response schemas there contradict their own examples and the spec's
text in two places, so no non-trivial response could pass them:

1. `decision-base.json`: `context` has `additionalProperties: false` and no
   `properties`, which forbids every key, while its examples (and the spec) put
   `reason_admin`, `reason_user`, `metadata`, ... there.
2. `access-evaluation-response.json`: `additionalProperties: false` beside the
   `$ref` forbids even `decision`, so `{"decision": true}` fails it.

And the 1.0-05 batch request schema applies the single request's `required` to
each evaluation, and has no top-level `context`, so a batch that uses the spec's
top-level defaults (subject, resource, action and context) fails it.

We validate against those schemas with exactly these keywords removed (a test
proves that is all it takes for the official examples to pass, and another fails
the day the upstream files are fixed), and against the 1.0-01 response schema as
it stands: our answer's `context` has exactly its shape (`id`, `reason_admin`,
`reason_user`).
"""

from __future__ import annotations

import copy
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.conftest import DEFAULT_SUBJECT, IN_CI, AppFactory

ROOT = Path(__file__).resolve().parents[2]
ALMA = "6809144615"


def _find_schemas() -> Path | None:
    override = os.environ.get("HOI_AUTHZEN_SCHEMAS")
    if override:
        return Path(override)
    for folder in ROOT.parents:  # shared/ sits beside the checkout (or above a worktree)
        candidate = folder / "shared" / "conformance" / "authzen"
        if candidate.is_dir():
            return candidate
    return None


@lru_cache(maxsize=1)
def official() -> dict[str, dict[str, Any]]:
    folder = _find_schemas()
    if folder is None:
        if IN_CI:
            pytest.fail("CI=true but shared/conformance/authzen is missing")
        pytest.skip("the AuthZEN conformance schemas (shared/conformance/authzen) are absent")
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}


def corrected() -> dict[str, dict[str, Any]]:
    """The official schemas less the self-contradicting keywords (module docstring)."""
    schemas = copy.deepcopy(official())
    del schemas["decision-base.json"]["properties"]["context"]["additionalProperties"]
    del schemas["access-evaluation-response.json"]["additionalProperties"]
    batch = schemas["access-evaluations-request.json"]["properties"]
    batch["context"] = schemas["access-evaluation-request.json"]["properties"]["context"]
    item = batch["evaluations"]["items"]
    item.clear()
    item.update(_evaluation_item(schemas["access-evaluation-request.json"]))
    return schemas


def _evaluation_item(single: dict[str, Any]) -> dict[str, Any]:
    """A batch item: the single request with nothing required (defaults fill it)."""
    item = {k: v for k, v in single.items() if k not in ("required", "$id", "$schema")}
    return item


def validator(schemas: dict[str, dict[str, Any]], name: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry()
    for file_name, schema in schemas.items():
        resource = Resource.from_contents(schema)
        registry = registry.with_resource(f"./{file_name}", resource)
        registry = registry.with_resource(file_name, resource)
    return Draft202012Validator(schemas[name], registry=registry)


def errors(schemas: dict[str, dict[str, Any]], name: str, instance: Any) -> list[str]:
    return [e.message for e in validator(schemas, name).iter_errors(instance)]


def test_the_upstream_schemas_still_have_the_defects_we_correct() -> None:
    """When this fails, shared/ has fixed schemas: drop the corrections."""
    schemas = official()
    assert errors(schemas, "access-evaluation-response.json", {"decision": True})
    assert errors(schemas, "decision-base.json", {"decision": False, "context": {"reason": "x"}})
    with_defaults = {
        "subject": {"type": "user", "id": "u"},
        "action": {"name": "view"},
        "evaluations": [{"resource": {"type": "child", "id": "1"}}],
    }
    assert errors(schemas, "access-evaluations-request.json", with_defaults)
    full = {"context": {"purpose": "x"}, "evaluations": []}
    assert errors(schemas, "access-evaluations-request.json", full)


def test_the_official_examples_pass_the_corrected_schemas() -> None:
    schemas = corrected()
    count = 0
    for name, schema in schemas.items():
        for example in schema.get("examples", []):
            if isinstance(example, dict) and name.endswith(("request.json", "response.json")):
                assert errors(schemas, name, example) == [], (name, example)
                count += 1
    assert count >= 4


def test_the_official_request_example_passes_both_request_schemas() -> None:
    schemas = official()
    (example,) = schemas["evaluation-request.schema.json"]["examples"]
    assert errors(schemas, "evaluation-request.schema.json", example) == []
    assert errors(schemas, "access-evaluation-request.json", example) == []


# --- our own traffic ------------------------------------------------------------------

SUBJECT = {
    "type": "user",
    "id": DEFAULT_SUBJECT["id"],
    "properties": {
        "role": DEFAULT_SUBJECT["role"],
        "organisation": DEFAULT_SUBJECT["organisation"],
    },
}


def question(*categories: str, cpr: str = ALMA) -> dict[str, Any]:
    return {
        "subject": SUBJECT,
        "resource": {"type": "child", "id": cpr, "properties": {"categories": list(categories)}},
        "action": {"name": "view"},
        "context": {"purpose": "social_case_work"},
    }


SINGLE = [
    question("psychiatry_appointments"),
    question("psychiatry_appointments", "school_daycare"),
    question("school_daycare"),
]
BATCH = {
    "evaluations": [
        question("psychiatry_contacts"),
        question("school_daycare"),
        question("psychiatry_contacts", cpr="0000000000"),
    ],
    "options": {"evaluations_semantic": "execute_all"},
}
BATCH_WITH_DEFAULTS = {
    "subject": SUBJECT,
    "action": {"name": "view"},
    "context": {"purpose": "social_case_work"},
    "evaluations": [
        {
            "resource": {
                "type": "child",
                "id": ALMA,
                "properties": {"category": "psychiatry_contacts"},
            }
        }
    ],
}


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


@pytest.mark.parametrize("request_body", SINGLE)
def test_our_evaluation_requests_and_answers_match_the_schemas(
    client: TestClient, request_body: dict[str, Any]
) -> None:
    schemas, fixed = official(), corrected()
    assert errors(schemas, "access-evaluation-request.json", request_body) == []
    assert errors(schemas, "evaluation-request.schema.json", request_body) == []
    response = client.post("/access/v1/evaluation", json=request_body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert errors(schemas, "evaluation-response.schema.json", answer) == []
    assert errors(fixed, "access-evaluation-response.json", answer) == []
    assert errors(fixed, "decision-base.json", answer) == []


@pytest.mark.parametrize("body", [BATCH, BATCH_WITH_DEFAULTS], ids=["full", "defaults"])
def test_our_batch_requests_and_answers_match_the_schemas(
    client: TestClient, body: dict[str, Any]
) -> None:
    schemas, fixed = official(), corrected()
    if body is BATCH:
        assert errors(schemas, "access-evaluations-request.json", body) == []
    assert errors(fixed, "access-evaluations-request.json", body) == []
    response = client.post("/access/v1/evaluations", json=body)
    assert response.status_code == 200, response.text
    answers = response.json()
    assert errors(fixed, "access-evaluations-response.json", answers) == []
    for answer in answers["evaluations"]:
        assert errors(schemas, "evaluation-response.schema.json", answer) == []
