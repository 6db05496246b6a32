"""The overview says what a block withholds, never from where or how much, and
whether this requester may set the block aside (the policy's answer). Overrides
asked through the overview are audited and flagged in the citizen's log, also
when the request is refused."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from sandbox.population import population
from tests.broker.conftest import (
    ALMA,
    BLOCKED_CHILD,
    CASEWORKER,
    DAY,
    PSYCHIATRIST,
    OverviewApp,
    headers_of,
    overview,
)
from tests.conftest import auditor_headers, citizen_headers

MOTHER = population(DAY).children[ALMA].record.custody_holders[0]
# The psychiatrist treating Alma: a course at her department, so a § 42 a lookup.
ALMAS_PSYCHIATRIST = {
    **PSYCHIATRIST,
    "organisation_id": population(DAY).children[ALMA].course_department or "",
}
WEIGHTY = {
    "grounds": "citizen_unreachable",
    "reason": "Acute crisis; the parents cannot be reached.",
}


def _block_psychiatry_sources(client: TestClient) -> None:
    """The mother blocks the whole psychiatry region, with its departments, as a source."""
    block = {
        "target_kind": "source_organisation",
        "target_id": "bup-rn",
        "include_sub_units": True,
        "categories": ["psychiatry_appointments"],
        "valid_from": "2026-11-01",
    }
    created = client.post(
        f"/v1/children/{ALMA}/blocks", json=block, headers=citizen_headers(MOTHER)
    )
    assert created.status_code == 201, created.text


def _post_overview(client: TestClient, who: dict[str, str], override: dict[str, Any] | None) -> Any:
    body: dict[str, Any] = {"purpose": who["purpose"], "categories": ["psychiatry_appointments"]}
    if override is not None:
        body["override"] = override
    return client.post(f"/v1/children/{ALMA}/overview", json=body, headers=headers_of(who))


def _access_log(client: TestClient) -> list[dict[str, Any]]:
    response = client.get(f"/v1/citizens/{ALMA}/access-log", headers=citizen_headers(MOTHER))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_nothing_withheld_the_overview_is_complete_where_every_source_answered(
    service: OverviewApp,
) -> None:
    body = overview(service(), ALMA, CASEWORKER)
    assert body["data"]["psychiatry_appointments"]["complete"] is True
    assert "psychiatry_appointments" not in body["withheld"]


def test_a_source_block_is_reported_without_naming_the_source_or_a_count(
    service: OverviewApp,
) -> None:
    client = service()
    _block_psychiatry_sources(client)

    body = overview(client, ALMA, CASEWORKER)

    assert body["complete"] is False
    appointments = body["data"]["psychiatry_appointments"]
    assert appointments["complete"] is False
    withheld = body["withheld"]["psychiatry_appointments"]
    assert withheld["reason"] == "withheld_by_block"
    assert withheld["withheld_by_block"] is True
    assert withheld["partial"] is True
    assert withheld["override_possible"] is False  # a caseworker never overrides
    assert [r["code"] for r in withheld["reasons"]] == ["withheld_by_block"]
    said = json.dumps(withheld)
    assert "bup-rn" not in said  # not which organisation
    assert set(withheld) == {
        "category",
        "label",
        "reason",
        "reasons",
        "to_make_visible",
        "partial",
        "withheld_by_block",
        "override_possible",
    }  # and no count of what is withheld
    assert all(
        set(r)
        <= {"code", "rule_id", "legal_basis", "message", "missing", "citations", "basis_review"}
        for r in withheld["reasons"]
    )
    # the category not covered by the block is shown whole
    assert body["data"]["psychiatry_contacts"]["complete"] is True
    assert "psychiatry_contacts" not in body["withheld"]


def test_a_health_professional_is_told_an_override_is_possible(service: OverviewApp) -> None:
    client = service()
    _block_psychiatry_sources(client)

    body = overview(client, ALMA, ALMAS_PSYCHIATRIST)

    assert body["data"]["psychiatry_appointments"]["records"] == []
    withheld = body["withheld"]["psychiatry_appointments"]
    assert withheld["reason"] == "withheld_by_block"
    assert withheld["override_possible"] is True
    assert "bup-rn" not in json.dumps(withheld)


def test_a_block_on_the_requester_is_flagged_and_says_an_override_is_possible(
    service: OverviewApp,
) -> None:
    body = overview(service(), BLOCKED_CHILD, PSYCHIATRIST)
    withheld = body["withheld"]["psychiatry_appointments"]
    assert withheld["reason"] == "blocked"
    assert withheld["withheld_by_block"] is True
    assert withheld["partial"] is False
    assert withheld["override_possible"] is True
    assert body["complete"] is False


def test_an_override_through_the_overview_shows_the_records_and_is_flagged(
    service: OverviewApp,
) -> None:
    client = service()
    _block_psychiatry_sources(client)

    response = _post_overview(client, ALMAS_PSYCHIATRIST, WEIGHTY)

    assert response.status_code == 200, response.text
    body = response.json()
    appointments = body["data"]["psychiatry_appointments"]
    assert appointments["records"]
    assert appointments["override"] is True
    assert "psychiatry_appointments" not in body["withheld"]
    [entry] = [e for e in _access_log(client) if e["decision_id"] == body["decision_id"]]
    assert entry["override"] is True
    assert entry["override_requested"] is True
    assert entry["override_refused"] is False
    assert entry["override_reason"] == WEIGHTY["reason"]


def test_a_too_short_override_reason_in_the_overview_is_refused_and_audited(
    service: OverviewApp,
) -> None:
    client = service()
    _block_psychiatry_sources(client)

    response = _post_overview(
        client, ALMAS_PSYCHIATRIST, {"grounds": "citizen_unreachable", "reason": "urgent"}
    )

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "override.reason"
    audit = client.get("/v1/audit", headers=auditor_headers(), params={"kind": "override_attempt"})
    assert audit.status_code == 200, audit.text
    [stored] = audit.json()["records"]
    record = stored["record"]
    assert record["child_cpr"] == ALMA
    assert record["requester"]["id"] == ALMAS_PSYCHIATRIST["subject_id"]
    assert record["override"]["grounds"] == "citizen_unreachable"
    assert record["override"]["refused"] is True
    assert "10 characters" in record["override"]["refusal"]
    [entry] = [e for e in _access_log(client) if e["kind"] == "override_attempt"]
    assert "refused" in entry["summary"]
    assert entry["override_requested"] is True
    assert entry["override_refused"] is True
    assert entry["override"] is False
    assert entry["override_reason"] == "urgent"
