"""Decisions read the registry afresh: revocation, withdrawal and lifting count
from the very next decision, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from handbook.worlds import DEV_HANDLES
from tests.conftest import AppFactory, auth_headers
from tests.registry.conftest import (
    FATHER,
    MOTHER,
    TODAY,
    YOUNG,
    Family,
    registry_population,
)


@pytest.fixture
def client(make_client: AppFactory, db_url: str) -> TestClient:
    return make_client(population=registry_population(), day=TODAY, database_url=db_url)


@pytest.fixture
def family(client: TestClient) -> Family:
    """The same service, written to by the family with their citizen tokens."""
    return Family(client)


CPR = YOUNG.record.cpr


def _ask(client: TestClient, **context: Any) -> dict[str, Any]:
    body = {
        "subject": {
            "id": "cw-851-family-1",
            "role": "municipal_caseworker",
            "organisation": {"type": "municipality", "id": "851-family"},
        },
        "resource": {"child_cpr": CPR, "categories": ["psychiatry_appointments"]},
        "context": {"purpose": "social_case_work", **context},
    }
    response = client.post("/v1/decisions", json=body)
    assert response.status_code == 200, response.text
    outcome: dict[str, Any] = response.json()["categories"]["psychiatry_appointments"]
    return outcome


def _consent_of_both(client: TestClient) -> dict[str, str]:
    ids = {}
    for parent in (MOTHER, FATHER):
        response = Family(client).post(
            f"/v1/children/{CPR}/consents",
            json={
                "regime": "sul-43-1",
                "given_by": parent,
                "categories": ["psychiatry_appointments"],
                "recipient": {"organisation_id": "851"},
                "form": "written",
                "given_on": "2026-10-01",
            },
        )
        assert response.status_code == 201, response.text
        ids[parent] = response.json()["id"]
    return ids


def test_revocation_takes_effect_on_the_very_next_decision(client: TestClient) -> None:
    ids = _consent_of_both(client)
    before = _ask(client)
    assert before["decision"] == "permit"
    assert sorted(before["relied_on"]["consents"]) == sorted(ids.values())
    Family(client).post(
        f"/v1/children/{CPR}/consents/{ids[MOTHER]}/revoke", json={"revoked_by": MOTHER}
    ).raise_for_status()
    after = _ask(client)
    assert after["decision"] == "deny"
    assert [r["code"] for r in after["reasons"]] == [
        "missing_consent",
        "health_professional_required",
        "request_from_holder",
    ]
    # Named by handle and in words, never by number.
    missing = after["reasons"][0]["missing"]
    assert [m["person"] for m in missing] == [DEV_HANDLES.handle(CPR, MOTHER)]
    assert missing[0]["capacity"] == "custody_holder"


def test_an_objection_denies_and_is_named_until_it_is_withdrawn(client: TestClient) -> None:
    _consent_of_both(client)
    objection = (
        Family(client).post(f"/v1/children/{CPR}/objections", json={"given_by": FATHER}).json()
    )
    denied = _ask(client)
    assert denied["decision"] == "deny"
    assert denied["relied_on"]["objections"] == [objection["id"]]
    Family(client).post(
        f"/v1/children/{CPR}/objections/{objection['id']}/withdraw",
        json={"withdrawn_by": FATHER},
    ).raise_for_status()
    assert _ask(client)["decision"] == "permit"


def test_a_source_block_withholds_one_department_until_lifted(client: TestClient) -> None:
    _consent_of_both(client)
    block = (
        Family(client)
        .post(
            f"/v1/children/{CPR}/blocks",
            json={
                "given_by": MOTHER,
                "target_kind": "source_organisation",
                "target_id": "bup-rn",
                "include_sub_units": True,
                "valid_from": "2026-11-01",
            },
        )
        .json()
    )
    permitted = _ask(client)
    assert permitted["decision"] == "permit"
    assert permitted["exclude_organisations"] == [
        "bup-rn",
        "bup-rn-aalborg-amb",
        "bup-rn-aalborg-sengeafsnit",
        "bup-rn-hjoerring",
        "bup-rn-thisted",
    ]
    assert permitted["relied_on"]["blocks"] == [block["id"]]
    Family(client).post(
        f"/v1/children/{CPR}/blocks/{block['id']}/lift", json={"lifted_by": MOTHER}
    ).raise_for_status()
    assert _ask(client)["exclude_organisations"] == []


@pytest.mark.parametrize("reason", [None, "", "          ", "too short"])
def test_an_override_without_a_weighty_reason_is_refused(
    client: TestClient, reason: str | None
) -> None:
    override: dict[str, Any] = {"grounds": "citizen_unreachable"}
    if reason is not None:
        override["reason"] = reason
    subject: dict[str, Any] = {
        "id": "gp-1",
        "role": "gp",
        "organisation": {"type": "gp_clinic", "id": "gp-laegeklinikken-sulsted"},
        "health_professional": True,
    }
    body = {
        "subject": subject,
        "resource": {"child_cpr": CPR, "categories": ["municipal_contacts"]},
        "context": {"purpose": "current_treatment", "override": override},
    }
    # The GP asks with their own token: the refused attempt is theirs, and audited.
    response = client.post("/v1/decisions", json=body, headers=auth_headers(subject))
    assert response.status_code == 422
    assert response.json()["field"] == "context.override.reason"
