"""Every attempt to set a family's block aside (værdispring) is an audit record and
a flagged line in the citizen's access log: allowed, refused by the policy, and
refused by request validation (then the 422 leaves only after the record is
committed). The requester is the token's, never the body's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.audit.helpers import AUDITOR, DAY, pilot, story
from tests.conftest import AppFactory, auth_headers, citizen_headers

BLOCKED = story(4)
"""13; the family blocked the psychiatry department treating the child."""
MOTHER = pilot().children[BLOCKED].record.custody_holders[0]
PSYCHIATRIST = {
    "id": "psych-1",
    "role": "bup_psychiatrist",
    "organisation": {
        "type": "region_psychiatry",
        "id": pilot().children[BLOCKED].course_department,
    },
    "health_professional": True,
}
CASEWORKER = {
    "id": "cw-851-family-1",
    "role": "municipal_caseworker",
    "organisation": {"type": "municipality", "id": "851-family"},
}
WEIGHTY = {
    "grounds": "citizen_unreachable",
    "reason": "Acute crisis; the parents cannot be reached.",
}
SHORT = {"grounds": "citizen_unreachable", "reason": "urgent"}


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client(day=DAY)


def _purpose(subject: dict[str, Any]) -> str:
    return "social_case_work" if subject["role"] == "municipal_caseworker" else "current_treatment"


def _decide(client: TestClient, subject: dict[str, Any], override: dict[str, Any]) -> Any:
    body = {
        "resource": {"child_cpr": BLOCKED, "categories": ["psychiatry_appointments"]},
        "context": {"purpose": _purpose(subject), "override": override},
    }
    return client.post("/v1/decisions", json=body, headers=auth_headers(subject))


def _attempts(client: TestClient) -> list[dict[str, Any]]:
    """The mother's access-log lines that carry an override request."""
    response = client.get(f"/v1/citizens/{BLOCKED}/access-log", headers=citizen_headers(MOTHER))
    assert response.status_code == 200, response.text
    return [e for e in response.json()["entries"] if e["override_requested"]]


def _audited(client: TestClient, kind: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", headers=AUDITOR, params={"kind": kind})
    assert response.status_code == 200, response.text
    return [r["record"] for r in response.json()["records"] if r["record"]["child_cpr"] == BLOCKED]


def test_an_allowed_override_is_flagged(client: TestClient) -> None:
    response = _decide(client, PSYCHIATRIST, WEIGHTY)
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["categories"]["psychiatry_appointments"]["override"] is True
    assert decision["override"] == {"requested": True, "allowed": True, "refusal": None}
    [entry] = _attempts(client)
    assert entry["decision_id"] == decision["decision_id"]
    assert entry["override"] is True
    assert entry["override_refused"] is False
    assert entry["override_reason"] == WEIGHTY["reason"]


def test_an_override_refused_by_the_policy_is_audited_and_flagged(client: TestClient) -> None:
    response = _decide(client, CASEWORKER, WEIGHTY)
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["override"]["allowed"] is False
    [record] = [r for r in _audited(client, "decision") if r["override"]["requested"]]
    assert record["override"]["refused"] is True
    assert record["override"]["refusal"] == "Municipal users can never override a citizen's block."
    [entry] = _attempts(client)
    assert entry["override"] is False
    assert entry["override_refused"] is True
    assert entry["override_refusal"] == "Municipal users can never override a citizen's block."
    assert entry["override_reason"] == WEIGHTY["reason"]  # the family sees what was claimed
    assert "refused" in entry["summary"]


def test_an_override_by_someone_not_authorised_is_refused_by_the_policy(
    client: TestClient,
) -> None:
    secretary = {**PSYCHIATRIST, "role": "bup_social_worker", "health_professional": False}
    response = _decide(client, secretary, WEIGHTY)
    assert response.status_code == 200, response.text
    [entry] = _attempts(client)
    assert entry["override_refused"] is True
    assert entry["override_refusal"] == (
        "Only an authorised health professional may override a citizen's block."
    )


@pytest.mark.parametrize(
    ("override", "field"),
    [
        (SHORT, "context.override.reason"),
        ({"grounds": "citizen_unreachable", "reason": "   "}, "context.override.reason"),
        ({"grounds": "citizen_unreachable"}, "context.override.reason"),
        ({"grounds": "emergency", "reason": WEIGHTY["reason"]}, "context.override.grounds"),
    ],
)
def test_an_override_refused_by_validation_is_audited_before_the_422(
    client: TestClient, override: dict[str, Any], field: str
) -> None:
    response = _decide(client, PSYCHIATRIST, override)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["field"] == field
    [record] = _audited(client, "override_attempt")
    assert record["requester"]["id"] == PSYCHIATRIST["id"]  # from the token
    assert record["requester"]["role"] == "bup_psychiatrist"
    assert record["override"]["grounds"] == override["grounds"]
    assert record["override"]["refused"] is True
    assert record["override"]["refusal"].startswith("Refused before any decision")
    assert record["outcome"] == "deny"
    assert record["released"] == {}
    [entry] = _attempts(client)
    assert entry["kind"] == "override_attempt"
    assert entry["override_refused"] is True
    assert entry["override"] is False


def test_the_attempt_names_the_token_holder_not_the_body(client: TestClient) -> None:
    """A body naming someone else is refused (403) before anything; the token rules."""
    body = {
        "subject": {**PSYCHIATRIST, "id": "someone-else"},
        "resource": {"child_cpr": BLOCKED, "categories": ["psychiatry_appointments"]},
        "context": {"purpose": "current_treatment", "override": SHORT},
    }
    response = client.post("/v1/decisions", json=body, headers=auth_headers(PSYCHIATRIST))
    assert response.status_code == 403, response.text
    assert _audited(client, "override_attempt") == []


def _authzen(override: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": {"type": "user", "id": PSYCHIATRIST["id"]},
        "resource": {
            "type": "child",
            "id": BLOCKED,
            "properties": {"categories": ["psychiatry_appointments"]},
        },
        "action": {"name": "view"},
        "context": {"purpose": "current_treatment", "override": override},
    }


def test_authzen_a_too_short_reason_is_a_422_and_audited(client: TestClient) -> None:
    response = client.post(
        "/access/v1/evaluation", json=_authzen(SHORT), headers=auth_headers(PSYCHIATRIST)
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "context.override.reason"
    assert len(_audited(client, "override_attempt")) == 1
    [entry] = _attempts(client)
    assert entry["override_refused"] is True


def test_authzen_batch_a_too_short_reason_is_a_deny_that_says_why_and_audited(
    client: TestClient,
) -> None:
    body = {"evaluations": [_authzen(WEIGHTY), _authzen(SHORT)]}
    response = client.post("/access/v1/evaluations", json=body, headers=auth_headers(PSYCHIATRIST))
    assert response.status_code == 200, response.text
    allowed, refused = response.json()["evaluations"]
    assert allowed["decision"] is True
    assert refused["decision"] is False
    error = refused["context"]["reason_admin"]["error"]
    assert error["field"] == "evaluations.1.context.override.reason"
    assert len(_audited(client, "override_attempt")) == 1
    flags = sorted((e["override"], e["override_refused"]) for e in _attempts(client))
    assert flags == [(False, True), (True, False)]
