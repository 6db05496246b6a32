"""The AuthZEN Authorization API 1.0: the same decisions as the native API, in the
standard shape."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import DEFAULT_SUBJECT, AppFactory, auditor_headers

ALMA = "6809144615"  # both custody holders consented to psychiatry data for the municipality
SUBJECT = {"type": "user", "id": DEFAULT_SUBJECT["id"]}
VIEW = {"name": "view"}
CONTEXT = {"purpose": "social_case_work"}


def child(*categories: str, cpr: str = ALMA) -> dict[str, Any]:
    return {"type": "child", "id": cpr, "properties": {"categories": list(categories)}}


def evaluation(*categories: str, **changes: Any) -> dict[str, Any]:
    return {
        "subject": SUBJECT,
        "resource": child(*categories),
        "action": VIEW,
        "context": CONTEXT,
        **changes,
    }


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


def test_the_configuration_names_the_endpoints_and_needs_no_token(
    make_client: AppFactory,
) -> None:
    client = make_client(anonymous=True, public_url="https://hoi.region.example/")
    config = client.get("/.well-known/authzen-configuration").json()
    assert config == {
        "policy_decision_point": "https://hoi.region.example",
        "access_evaluation_endpoint": "https://hoi.region.example/access/v1/evaluation",
        "access_evaluations_endpoint": "https://hoi.region.example/access/v1/evaluations",
    }


def test_a_permit_carries_the_rule_legal_basis_and_obligations(client: TestClient) -> None:
    response = client.post("/access/v1/evaluation", json=evaluation("psychiatry_appointments"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decision"] is True
    detail = answer["context"]["reason_admin"]
    assert answer["context"]["id"] == detail["decision_id"]
    outcome = detail["categories"]["psychiatry_appointments"]
    assert outcome["rule_id"] == "SUL-43-1-CONSENT"
    assert outcome["legal_basis"] == ["sul-43-1", "sul-44"]
    assert outcome["fields"] == ["date", "time", "department", "status"]
    assert detail["obligations"] == ["log_to_citizen"]
    assert "permitted" in answer["context"]["reason_user"]["en"]


def test_the_answer_is_the_native_decision(client: TestClient) -> None:
    asked = ["psychiatry_appointments", "school_daycare"]
    native = client.post(
        "/v1/decisions",
        json={"resource": {"child_cpr": ALMA, "categories": asked}, "context": CONTEXT},
    ).json()
    answer = client.post("/access/v1/evaluation", json=evaluation(*asked)).json()
    assert answer["decision"] is False  # one category is denied
    standard = answer["context"]["reason_admin"]["categories"]
    for category in asked:
        ours = native["categories"][category]
        assert standard[category]["decision"] == ours["decision"]
        assert standard[category]["rule_id"] == ours["rule_id"]
        assert [r["code"] for r in standard[category]["reasons"]] == [
            r["code"] for r in ours["reasons"]
        ]
    assert standard["school_daycare"]["reasons"][0]["code"] == "no_legal_basis"


def test_one_category_may_be_named_alone(client: TestClient) -> None:
    one = {"type": "child", "id": ALMA, "properties": {"category": "psychiatry_contacts"}}
    answer = client.post("/access/v1/evaluation", json=evaluation(resource=one)).json()
    assert list(answer["context"]["reason_admin"]["categories"]) == ["psychiatry_contacts"]


def test_subject_properties_that_match_the_token_are_accepted(client: TestClient) -> None:
    subject = {
        **SUBJECT,
        "properties": {
            "role": "municipal_caseworker",
            "organisation": DEFAULT_SUBJECT["organisation"],
        },
    }
    response = client.post(
        "/access/v1/evaluation", json=evaluation("psychiatry_contacts", subject=subject)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("subject", "field"),
    [
        ({"type": "user", "id": "someone-else"}, "subject.id"),
        ({**SUBJECT, "properties": {"role": "bup_psychiatrist"}}, "subject.role"),
        ({**SUBJECT, "properties": {"health_professional": True}}, "subject.health_professional"),
    ],
)
def test_a_subject_other_than_the_token_is_refused(
    client: TestClient, subject: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/access/v1/evaluation", json=evaluation("psychiatry_contacts", subject=subject)
    )
    assert response.status_code == 403
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resource": {"type": "account", "id": ALMA}}, "resource.type"),
        ({"resource": {"type": "child", "id": ALMA}}, "resource.properties.categories"),
        ({"resource": child("psychiatry_contacts", cpr="12345")}, "resource.id"),
        ({"resource": child("diaries")}, "resource.properties.categories"),
        ({"action": {"name": "can_delete"}}, "action.name"),
        ({"context": {}}, "context.purpose"),
        ({"subject": {"type": "robot", "id": DEFAULT_SUBJECT["id"]}}, "subject.type"),
    ],
)
def test_a_question_we_cannot_map_is_refused_naming_the_field(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/access/v1/evaluation", json=evaluation("psychiatry_contacts", **changes)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def test_the_request_id_is_echoed(client: TestClient) -> None:
    response = client.post(
        "/access/v1/evaluation",
        json=evaluation("psychiatry_contacts"),
        headers={"X-Request-ID": "pep-7f3a"},
    )
    assert response.headers["x-request-id"] == "pep-7f3a"


# --- batches -----------------------------------------------------------------------------

PERMIT = {"resource": child("psychiatry_appointments")}
DENY = {"resource": child("school_daycare")}


def batch(*items: dict[str, Any], semantic: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": SUBJECT,
        "action": VIEW,
        "context": CONTEXT,
        "evaluations": list(items),
    }
    if semantic:
        body["options"] = {"evaluations_semantic": semantic}
    return body


def decisions(response: Any) -> list[bool]:
    assert response.status_code == 200, response.text
    return [e["decision"] for e in response.json()["evaluations"]]


def test_execute_all_answers_every_evaluation_in_order(client: TestClient) -> None:
    response = client.post("/access/v1/evaluations", json=batch(PERMIT, DENY, PERMIT))
    assert decisions(response) == [True, False, True]


def test_deny_on_first_deny_stops_after_the_first_deny(client: TestClient) -> None:
    body = batch(PERMIT, DENY, PERMIT, semantic="deny_on_first_deny")
    assert decisions(client.post("/access/v1/evaluations", json=body)) == [True, False]


def test_permit_on_first_permit_stops_after_the_first_permit(client: TestClient) -> None:
    body = batch(DENY, DENY, PERMIT, DENY, semantic="permit_on_first_permit")
    assert decisions(client.post("/access/v1/evaluations", json=body)) == [False, False, True]


def test_an_evaluation_replaces_the_defaults_it_gives(client: TestClient) -> None:
    body = {**batch({}, DENY, {"context": {}}), "resource": child("psychiatry_appointments")}
    answers = client.post("/access/v1/evaluations", json=body).json()["evaluations"]
    assert [a["decision"] for a in answers] == [True, False, False]
    assert list(answers[1]["context"]["reason_admin"]["categories"]) == ["school_daycare"]
    assert (
        answers[2]["context"]["reason_admin"]["error"]["field"] == "evaluations.2.context.purpose"
    )


def test_an_evaluation_that_cannot_be_decided_is_a_deny_saying_why(client: TestClient) -> None:
    bad = {"resource": child("psychiatry_appointments", cpr="0000000000")}
    answers = client.post("/access/v1/evaluations", json=batch(PERMIT, bad, PERMIT)).json()
    middle = answers["evaluations"][1]
    assert middle["decision"] is False
    assert middle["context"]["reason_admin"]["error"]["status"] == 422
    assert middle["context"]["reason_admin"]["error"]["field"] == "evaluations.1.resource.id"
    assert [e["decision"] for e in answers["evaluations"]] == [True, False, True]


def test_an_evaluation_without_subject_or_default_is_a_deny(client: TestClient) -> None:
    body = {"evaluations": [{"resource": child("psychiatry_contacts"), "action": VIEW}]}
    answer = client.post("/access/v1/evaluations", json=body).json()["evaluations"][0]
    assert answer["decision"] is False
    assert answer["context"]["reason_admin"]["error"]["field"] == "evaluations.0.subject"


def test_someone_elses_subject_anywhere_refuses_the_whole_batch(client: TestClient) -> None:
    other = {**PERMIT, "subject": {"type": "user", "id": "cw-851-family-2"}}
    response = client.post("/access/v1/evaluations", json=batch(PERMIT, other))
    assert response.status_code == 403


def test_no_evaluations_means_one_evaluation_of_the_defaults(client: TestClient) -> None:
    body = {**batch(), "resource": child("psychiatry_appointments")}
    assert decisions(client.post("/access/v1/evaluations", json=body)) == [True]


def test_a_batch_of_a_hundred_evaluations_answers_in_one_call(client: TestClient) -> None:
    items = [PERMIT if i % 3 else DENY for i in range(100)]
    response = client.post("/access/v1/evaluations", json=batch(*items))
    answers = decisions(response)
    assert answers == [bool(i % 3) for i in range(100)]
    ids = {e["context"]["id"] for e in response.json()["evaluations"]}
    assert len(ids) == 100  # one decision each


def test_too_many_evaluations_are_refused(make_client: AppFactory) -> None:
    client = make_client(authzen_max_evaluations=5)
    response = client.post("/access/v1/evaluations", json=batch(*[PERMIT] * 6))
    assert response.status_code == 422
    assert response.json()["field"] == "evaluations"


def test_an_unknown_semantic_is_refused(client: TestClient) -> None:
    response = client.post("/access/v1/evaluations", json=batch(PERMIT, semantic="best_effort"))
    assert response.status_code == 422


def test_evaluations_decided_together_answer_as_if_asked_alone(client: TestClient) -> None:
    """Evaluations differing only in categories share one policy evaluation
    (decisions.together_key); each answer and audit record is still its own."""
    asked = [
        ("psychiatry_appointments",),
        ("school_daycare",),
        ("psychiatry_contacts", "school_daycare"),
        ("psychiatry_appointments",),
    ]
    body = batch(*({"resource": child(*c)} for c in asked))
    together = client.post("/access/v1/evaluations", json=body).json()["evaluations"]
    alone = [client.post("/access/v1/evaluation", json=evaluation(*c)).json() for c in asked]

    def without_id(answer: dict[str, Any]) -> dict[str, Any]:
        """The answer without what names one decision (its id and time)."""
        context = {k: v for k, v in answer["context"].items() if k != "id"}
        admin = context["reason_admin"]
        context["reason_admin"] = {
            k: v for k, v in admin.items() if k not in ("decision_id", "decided_at")
        }
        return {**answer, "context": context}

    assert [without_id(a) for a in together] == [without_id(a) for a in alone]
    for answer, categories in zip(together, asked, strict=True):
        assert list(answer["context"]["reason_admin"]["categories"]) == list(categories)
    page = client.get(
        "/v1/audit", params={"child_cpr": ALMA, "limit": 100}, headers=auditor_headers()
    ).json()
    records = {r["record"]["decision_id"]: r["record"] for r in page["records"]}
    for answer, categories in zip(together, asked, strict=True):
        assert records[answer["context"]["id"]]["categories_asked"] == list(categories)


def test_a_batch_is_audited_in_one_commit(client: TestClient) -> None:
    """Every decision of a call, across children and groups, is committed in one
    transaction: one commit for the call, not one a group."""
    services = client.app.state.services  # type: ignore[attr-defined]
    audit = services.audit
    other = next(c for c in services.population.children if c != ALMA)
    items = [PERMIT, DENY, {"resource": child("school_daycare", cpr=other)}] * 5
    before = audit.batches
    answers = client.post("/access/v1/evaluations", json=batch(*items))
    assert len(decisions(answers)) == 15
    assert audit.batches == before + 1


def test_a_batch_whose_audit_fails_answers_nothing_and_records_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: when the batch's commit fails, no evaluation is answered and
    none of the call's records is half-written."""

    def records() -> int:
        page = client.get(
            "/v1/audit", params={"child_cpr": ALMA, "limit": 100}, headers=auditor_headers()
        )
        return len(page.json()["records"])

    before = records()

    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("audit.log.append", broken)
    response = client.post("/access/v1/evaluations", json=batch(PERMIT, DENY, PERMIT))
    assert response.status_code == 503, response.text
    assert "evaluations" not in response.json()
    monkeypatch.undo()
    assert records() == before
