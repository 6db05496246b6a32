"""The registry's trust boundary, tried the way a curious or hostile colleague
would (issue: "only the family changes what the family decided").

Each attack here succeeded against the registry before the boundary was drawn:
a professional posted consents "given by" the parents, lifted a family's block,
withdrew objections and revoked consents in the family's name, and read the
parents' CPR numbers off the consent list and off every missing-consent deny."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.population import Child
from tests.audit.helpers import AUDITOR, DAY, pilot, request_body
from tests.conftest import AppFactory, auth_headers, citizen_headers

CPR = re.compile(r"(?<![0-9A-Za-z])[0-9]{10}(?![0-9A-Za-z])")


def _with_case(unit: str, *, under_15: bool = True) -> Child:
    """A story-world child with an open case in `unit` and two custody holders."""
    for child in pilot().children.values():
        age = (DAY - child.record.birth_date).days // 365
        if (
            any(c.unit == unit and c.open for c in child.cases)
            and len(child.record.custody_holders) == 2
            and (age < 14 if under_15 else age >= 15)
        ):
            return child
    raise AssertionError(f"the synthetic population has no child with a case in {unit}")


def _without_relation_to(unit: str) -> Child:
    for child in pilot().children.values():
        unrelated = not any(c.unit == unit for c in child.cases)
        young = (DAY - child.record.birth_date).days // 365 < 14
        if unrelated and young and len(child.record.custody_holders) == 2:
            return child
    raise AssertionError("no such child")


def caseworker(unit: str = "851-family", n: int = 1) -> dict[str, Any]:
    return {
        "id": f"cw-{unit}-{n}",
        "role": "municipal_caseworker",
        "organisation": {"type": "municipality", "id": unit},
    }


def as_(subject: dict[str, Any]) -> dict[str, str]:
    return auth_headers(subject)


CONSENT = {
    "regime": "sul-43-1",
    "categories": ["psychiatry_appointments"],
    "recipient": {"organisation_id": "851-family"},
    "form": "written",
    "given_on": "2026-11-20",
}


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client(day=DAY)


def _access_log(client: TestClient, child: Child) -> list[dict[str, Any]]:
    mother = child.record.custody_holders[0]
    response = client.get(
        f"/v1/citizens/{child.record.cpr}/access-log", headers=citizen_headers(mother)
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def _no_cpr_but(body: str, child_cpr: str) -> None:
    others = set(CPR.findall(body)) - {child_cpr}
    assert not others, f"CPR numbers of others in the answer: {len(others)}"


# --- forged consents ------------------------------------------------------------


def test_a_caseworker_cannot_post_a_consent_given_by_the_parents(client: TestClient) -> None:
    """The old attack: a consent 'given by' a parent's CPR number from the body."""
    child = _without_relation_to("810-family")
    body = {**CONSENT, "given_by": child.record.custody_holders[0]}
    response = client.post(
        f"/v1/children/{child.record.cpr}/consents",
        json=body,
        headers=as_(caseworker("810-family")),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "given_by"  # no such field: the giver is not a body field


def test_a_caseworker_without_a_relation_cannot_record_on_the_familys_behalf(
    client: TestClient,
) -> None:
    child = _without_relation_to("810-family")
    mother = child.record.custody_holders[0]
    handle = client.get(
        f"/v1/children/{child.record.cpr}/deciders", headers=citizen_headers(mother)
    ).json()["persons"][0]["handle"]
    body = {**CONSENT, "on_behalf_of": handle, "document_reference": "form-1"}
    response = client.post(
        f"/v1/children/{child.record.cpr}/consents",
        json=body,
        headers=as_(caseworker("810-family")),
    )
    assert response.status_code == 403, response.text
    consents = client.get(
        f"/v1/children/{child.record.cpr}/consents", headers=citizen_headers(mother)
    ).json()
    assert all(c["id"].startswith("consent-seed") for c in consents)
    # The attempt is in the family's log, refused.
    refused = [e for e in _access_log(client, child) if e["kind"] == "registry_write"]
    assert refused and "refused" in refused[0]["summary"]


def test_the_family_records_its_own_consent_with_its_citizen_token(client: TestClient) -> None:
    child = _with_case("851-family")
    mother = child.record.custody_holders[0]
    response = client.post(
        f"/v1/children/{child.record.cpr}/consents", json=CONSENT, headers=citizen_headers(mother)
    )
    assert response.status_code == 201, response.text
    consent = response.json()
    assert consent["recorded_by"]["kind"] == "citizen"
    assert consent["recorded_by"]["professional_id"] is None
    assert consent["given_by"]["capacity"] == "custody_holder"
    assert consent["given_by"]["handle"].startswith("p-")
    _no_cpr_but(response.text, child.record.cpr)
    log = _access_log(client, child)
    assert log[0]["kind"] == "registry_write"
    assert log[0]["summary"].startswith("Consent recorded to")


def test_a_stranger_citizen_cannot_write_for_someone_elses_child(client: TestClient) -> None:
    child = _with_case("851-family")
    other = _without_relation_to("851-family").record.custody_holders[0]
    response = client.post(
        f"/v1/children/{child.record.cpr}/consents", json=CONSENT, headers=citizen_headers(other)
    )
    assert response.status_code == 403


def test_a_professional_with_a_case_records_what_the_family_gave_them(client: TestClient) -> None:
    child = _with_case("851-family")
    unit_worker = next(c.caseworker_id for c in child.cases if c.unit == "851-family")
    worker = {**caseworker("851-family"), "id": unit_worker}
    deciders = client.get(f"/v1/children/{child.record.cpr}/deciders", headers=as_(worker))
    assert deciders.status_code == 200, deciders.text
    _no_cpr_but(deciders.text, child.record.cpr)
    father = deciders.json()["persons"][1]
    missing_document = {**CONSENT, "on_behalf_of": father["handle"]}
    refused = client.post(
        f"/v1/children/{child.record.cpr}/consents", json=missing_document, headers=as_(worker)
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "document_reference"
    body = {**missing_document, "document_reference": "ESDH-2026-4411"}
    response = client.post(
        f"/v1/children/{child.record.cpr}/consents", json=body, headers=as_(worker)
    )
    assert response.status_code == 201, response.text
    consent = response.json()
    assert consent["given_by"] == father
    assert consent["recorded_by"] == {
        "acting_system": None,
        "kind": "professional",
        "professional_id": unit_worker,
        "role": "municipal_caseworker",
        "organisation_id": "851-family",
        "document_reference": "ESDH-2026-4411",
    }
    entry = _access_log(client, child)[0]
    assert entry["kind"] == "registry_write"
    assert "by a Municipal caseworker (family department)" in entry["summary"]
    assert f"on behalf of {father['label']}" in entry["summary"]


# --- blocks, objections and revocations are the family's -----------------------


def _block(client: TestClient, child: Child, department: str) -> str:
    mother = child.record.custody_holders[0]
    response = client.post(
        f"/v1/children/{child.record.cpr}/blocks",
        json={"target_kind": "organisation", "target_id": department, "valid_from": "2026-11-01"},
        headers=citizen_headers(mother),
    )
    assert response.status_code == 201, response.text
    block_id: str = response.json()["id"]
    return block_id


def test_the_blocked_department_cannot_lift_the_familys_block(client: TestClient) -> None:
    child = next(c for c in pilot().children.values() if c.course_department)
    department = child.course_department
    assert department is not None
    block_id = _block(client, child, department)
    psychiatrist = {
        "id": "psychiatrist-1",
        "role": "bup_psychiatrist",
        "organisation": {"type": "region_psychiatry", "id": department},
        "health_professional": True,
    }
    mother = child.record.custody_holders[0]
    for body in (None, {"lifted_by": mother}):
        response = client.post(
            f"/v1/children/{child.record.cpr}/blocks/{block_id}/lift",
            json=body,
            headers=as_(psychiatrist),
        )
        assert response.status_code in (403, 422), response.text
    blocks = client.get(
        f"/v1/children/{child.record.cpr}/blocks", headers=citizen_headers(mother)
    ).json()
    assert next(b for b in blocks if b["id"] == block_id)["status"] == "active"
    # The family lifts it itself.
    lifted = client.post(
        f"/v1/children/{child.record.cpr}/blocks/{block_id}/lift", headers=citizen_headers(mother)
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["lifted_by"]["label"].startswith("the ")


def test_a_professional_cannot_set_a_block(client: TestClient) -> None:
    child = _with_case("851-family")
    response = client.post(
        f"/v1/children/{child.record.cpr}/blocks",
        json={"target_kind": "organisation", "target_id": "851-ppr", "valid_from": "2026-11-01"},
        headers=as_(caseworker("851-family")),
    )
    assert response.status_code == 403


def test_a_caseworker_cannot_withdraw_a_familys_objection(client: TestClient) -> None:
    divorced = list(pilot().children.values())[1]  # the father objects
    objection = divorced_objection(client, divorced)
    father = divorced.record.custody_holders[1]
    for body in (None, {"withdrawn_by": father}):
        response = client.post(
            f"/v1/children/{divorced.record.cpr}/objections/{objection}/withdraw",
            json=body,
            headers=as_(caseworker("851-family")),
        )
        assert response.status_code in (403, 422)
    # The mother cannot withdraw the father's objection either.
    mother = divorced.record.custody_holders[0]
    response = client.post(
        f"/v1/children/{divorced.record.cpr}/objections/{objection}/withdraw",
        headers=citizen_headers(mother),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "authorization"


def divorced_objection(client: TestClient, child: Child) -> str:
    father = child.record.custody_holders[1]
    objections = client.get(
        f"/v1/children/{child.record.cpr}/objections", headers=citizen_headers(father)
    ).json()
    objection_id: str = objections[0]["id"]
    return objection_id


def test_a_revocation_told_to_a_professional_is_reported_and_takes_effect(
    client: TestClient,
) -> None:
    child = _with_case("851-family")
    unit_worker = next(c.caseworker_id for c in child.cases if c.unit == "851-family")
    worker = {**caseworker("851-family"), "id": unit_worker}
    mother = child.record.custody_holders[0]
    consent = client.post(
        f"/v1/children/{child.record.cpr}/consents", json=CONSENT, headers=citizen_headers(mother)
    ).json()
    url = f"/v1/children/{child.record.cpr}/consents/{consent['id']}/revoke"
    # Without saying who asked for it: refused.
    assert client.post(url, headers=as_(worker)).status_code == 422
    stranger = as_(caseworker("810-family"))
    refused = client.post(url, json={"stated_by": consent["given_by"]["handle"]}, headers=stranger)
    assert refused.status_code == 403
    done = client.post(url, json={"stated_by": consent["given_by"]["handle"]}, headers=as_(worker))
    assert done.status_code == 200, done.text
    revoked = done.json()
    assert revoked["status"] == "revoked"
    assert revoked["revoked_by"] == consent["given_by"]
    assert revoked["revocation_recorded_by"]["professional_id"] == unit_worker


# --- reads are decisions, audited, and carry no one else's number ---------------


def test_a_caseworker_in_another_municipality_cannot_read_the_consents(
    client: TestClient,
) -> None:
    """The first step of the old attack: reading the parents' numbers off the list."""
    alma = next(iter(pilot().children))
    response = client.get(f"/v1/children/{alma}/consents", headers=as_(caseworker("810-family")))
    assert response.status_code == 403
    records = client.get(
        "/v1/audit", params={"child_cpr": alma, "kind": "registry_read"}, headers=AUDITOR
    ).json()["records"]
    assert records[0]["record"]["outcome"] == "deny"
    assert records[0]["record"]["requester"]["organisation_id"] == "810-family"


def test_every_registry_answer_to_the_family_and_professionals_has_no_parent_cpr(
    client: TestClient,
) -> None:
    alma = pilot().children[next(iter(pilot().children))]
    mother = alma.record.custody_holders[0]
    for path in ("consents", "objections", "blocks", "events", "deciders"):
        response = client.get(
            f"/v1/children/{alma.record.cpr}/{path}", headers=citizen_headers(mother)
        )
        assert response.status_code == 200, response.text
        _no_cpr_but(response.text, alma.record.cpr)


# --- deny answers name roles, not identities ------------------------------------


def test_missing_consent_names_the_parents_by_role_and_handle(client: TestClient) -> None:
    child = _without_relation_to("810-family")
    body = request_body(child.record.cpr, **caseworker("810-family"))
    for path in ("/v1/decisions",):
        response = client.post(path, json=body, headers=as_(body["subject"]))
        assert response.status_code == 200
        _no_cpr_but(response.text, child.record.cpr)
        reasons = [
            r
            for c in response.json()["categories"].values()
            for r in c["reasons"]
            if r["code"] == "missing_consent"
        ]
        assert reasons
        labels = {m["label"] for r in reasons for m in r["missing"]}
        assert labels <= {
            "the custody holder registered as mother",
            "the custody holder registered as father",
            "the first custody holder",
            "the second custody holder",
        }
        assert all(m["person"].startswith("p-") for r in reasons for m in r["missing"])


def test_handles_differ_between_children_and_services() -> None:
    from policy.persons import PersonHandles

    a, b = PersonHandles.from_secret("a" * 32), PersonHandles.from_secret("b" * 32)
    assert a.handle("1", "2") == a.handle("1", "2")
    assert a.handle("1", "2") != a.handle("3", "2")  # the same parent on a sibling
    assert a.handle("1", "2") != b.handle("1", "2")


def test_production_needs_its_own_handle_key() -> None:
    from pydantic import ValidationError

    from api.settings import Settings

    production = {
        "environment": "production",
        "seed_demo_data": False,
        "database_url": "sqlite:///x.db",
        "auth_jwks_url": "https://idp.example/jwks",
        "auth_issuer": "https://idp.example",
        "audit_key": "k" * 40,
    }
    with pytest.raises(ValidationError, match="HOI_PERSON_HANDLE_KEY"):
        Settings(**production)  # type: ignore[arg-type]
