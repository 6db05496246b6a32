"""Recording consents, objections and blocks through the API, on SQLite and
PostgreSQL: what is refused and why, statuses, supersession, history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AppFactory
from tests.registry.conftest import (
    FATHER,
    JUST_FIFTEEN,
    MOTHER,
    SIXTEEN,
    STRANGER,
    TODAY,
    YOUNG,
    Family,
    registry_population,
)

PROBLEMS = "https://hoi-policy.example/problems/"


@pytest.fixture
def client(make_client: AppFactory, db_url: str) -> Family:
    """Each write with the citizen token of the person who acts."""
    return Family(make_client(population=registry_population(), day=TODAY, database_url=db_url))


def consent(given_by: str = MOTHER, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "regime": "sul-43-1",
        "given_by": given_by,
        "categories": ["psychiatry_appointments"],
        "recipient": {"organisation_id": "851-family"},
        "form": "written",
        "given_on": "2026-09-01",
    }
    body.update(changes)
    return body


def post(client: Family, cpr: str, what: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/v1/children/{cpr}/{what}", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def refused(response: Any, kind: str, field: str) -> str:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == PROBLEMS + kind
    assert problem["field"] == field
    detail: str = problem["detail"]
    return detail


def test_a_consent_is_recorded_with_its_capped_expiry_and_listed_as_active(
    client: Family,
) -> None:
    cpr = YOUNG.record.cpr
    created = post(client, cpr, "consents", consent(valid_until="2027-12-31"))
    assert created["status"] == "active"
    assert created["capacity"] == "custody_holder"
    assert created["valid_until"] == "2027-08-31"  # § 44: one year from 1 September 2026
    assert created["valid_until_requested"] == "2027-12-31"
    assert created["expiry_capped"] is True
    open_ended = post(client, cpr, "consents", consent(FATHER))
    assert open_ended["valid_until"] == "2027-08-31"
    assert open_ended["expiry_capped"] is False
    listed = client.get(f"/v1/children/{cpr}/consents", params={"status": "active"}).json()
    assert [c["id"] for c in listed] == [created["id"], open_ended["id"]]
    assert client.get(f"/v1/children/{cpr}/consents/{created['id']}").json() == created


def test_gdpr_consent_is_refused_with_an_explanation(client: Family) -> None:
    response = client.post(
        f"/v1/children/{YOUNG.record.cpr}/consents", json=consent(regime="gdpr-6-1-a")
    )
    detail = refused(response, "invalid-request", "regime")
    assert "GDPR consent is not a basis" in detail
    assert "sul-43-1" in detail


def test_a_consent_naming_only_a_kind_of_organisation_is_refused(client: Family) -> None:
    response = client.post(
        f"/v1/children/{YOUNG.record.cpr}/consents",
        json=consent(recipient={"organisation_type": "municipality"}),
    )
    assert "a kind of organisation alone is refused" in refused(
        response, "invalid-request", "recipient"
    )


def test_a_consent_may_name_the_type_beside_the_organisation(client: Family) -> None:
    recipient = {"organisation_type": "municipality", "organisation_id": "851-family"}
    created = post(client, YOUNG.record.cpr, "consents", consent(recipient=recipient))
    assert created["recipient"] == recipient


def test_an_objection_may_name_a_kind_of_organisation(client: Family) -> None:
    body = {"categories": [], "recipient": {"organisation_type": "municipality"}}
    created = post(client, YOUNG.record.cpr, "objections", body)
    assert created["recipient"] == {"organisation_type": "municipality", "organisation_id": None}


def test_an_oral_health_act_consent_is_refused(client: Family) -> None:
    response = client.post(f"/v1/children/{YOUNG.record.cpr}/consents", json=consent(form="oral"))
    assert "must be written" in refused(response, "invalid-request", "form")


def test_a_consent_dated_in_the_future_is_refused(client: Family) -> None:
    response = client.post(
        f"/v1/children/{YOUNG.record.cpr}/consents", json=consent(given_on="2026-12-01")
    )
    assert "future" in refused(response, "invalid-request", "given_on")


@pytest.mark.parametrize(
    ("child", "giver", "why"),
    [
        (SIXTEEN, MOTHER, "decides alone"),
        (YOUNG, YOUNG.record.cpr, "the custody holders decide"),
    ],
    ids=["parent-of-16-year-old", "child-under-15"],
)
def test_a_consent_from_someone_not_entitled_is_refused_naming_why(
    client: Family, child: Any, giver: str, why: str
) -> None:
    response = client.post(f"/v1/children/{child.record.cpr}/consents", json=consent(giver))
    assert why in refused(response, "not-entitled", "authorization")
    assert client.get(f"/v1/children/{child.record.cpr}/consents").json() == []


def test_someone_outside_the_family_cannot_record_for_the_child(client: Family) -> None:
    response = client.post(f"/v1/children/{YOUNG.record.cpr}/consents", json=consent(STRANGER))
    assert response.status_code == 403
    assert response.json()["field"] == "cpr"
    assert client.get(f"/v1/children/{YOUNG.record.cpr}/consents").json() == []


def test_entitlement_is_judged_on_the_day_the_consent_was_given(client: Family) -> None:
    """The mother signed before the child's 15th birthday: recorded, but it has
    stopped counting because under § 43 the young person now decides alone."""
    cpr = JUST_FIFTEEN.record.cpr
    created = post(client, cpr, "consents", consent(given_on="2026-10-01"))
    assert created["capacity"] == "custody_holder"
    assert created["status"] == "expired"
    assert "turned 15 on 2026-11-16" in created["status_note"]
    late = client.post(f"/v1/children/{cpr}/consents", json=consent(given_on="2026-11-20"))
    assert "decides alone" in refused(late, "not-entitled", "authorization")
    own = post(client, cpr, "consents", consent(cpr, given_on="2026-11-20"))
    assert own["capacity"] == "child"
    assert own["status"] == "active"


def test_a_newer_consent_from_the_same_giver_supersedes_the_older(client: Family) -> None:
    cpr = YOUNG.record.cpr
    older = post(client, cpr, "consents", consent(given_on="2026-03-01"))
    other_recipient = post(
        client,
        cpr,
        "consents",
        consent(recipient={"organisation_id": "851"}, given_on="2026-03-01"),
    )
    newer = post(
        client,
        cpr,
        "consents",
        consent(
            categories=["psychiatry_appointments", "psychiatry_contacts"], given_on="2026-10-01"
        ),
    )
    by_id = {c["id"]: c for c in client.get(f"/v1/children/{cpr}/consents").json()}
    assert by_id[older["id"]]["status"] == "superseded"
    assert by_id[older["id"]]["superseded_by"] == newer["id"]
    assert by_id[other_recipient["id"]]["status"] == "active"
    assert by_id[newer["id"]]["status"] == "active"
    # Revoking the newer one does not bring the older one back.
    client.post(
        f"/v1/children/{cpr}/consents/{newer['id']}/revoke", json={"revoked_by": MOTHER}
    ).raise_for_status()
    superseded = client.get(f"/v1/children/{cpr}/consents", params={"status": "superseded"})
    assert [c["id"] for c in superseded.json()] == [older["id"]]


def test_revocation_is_recorded_and_only_the_giver_may_revoke(client: Family) -> None:
    cpr = YOUNG.record.cpr
    created = post(client, cpr, "consents", consent())
    url = f"/v1/children/{cpr}/consents/{created['id']}/revoke"
    other = client.post(url, json={"revoked_by": FATHER})
    assert "only the person who gave this consent" in refused(
        other, "not-entitled", "authorization"
    )
    revoked = client.post(url, json={"revoked_by": MOTHER})
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_by"] == created["given_by"]
    again = client.post(url, json={"revoked_by": MOTHER})
    assert again.status_code == 409
    assert [c["status"] for c in client.get(f"/v1/children/{cpr}/consents").json()] == ["revoked"]


def test_objections_are_recorded_listed_and_withdrawn_by_the_objector(client: Family) -> None:
    cpr = YOUNG.record.cpr
    objection = post(client, cpr, "objections", {"given_by": FATHER, "categories": []})
    assert objection["status"] == "active"
    url = f"/v1/children/{cpr}/objections/{objection['id']}/withdraw"
    by_mother = client.post(url, json={"withdrawn_by": MOTHER})
    refused(by_mother, "not-entitled", "authorization")
    withdrawn = client.post(url, json={"withdrawn_by": FATHER})
    assert withdrawn.json()["status"] == "withdrawn"
    listed = client.get(f"/v1/children/{cpr}/objections").json()
    assert [(o["id"], o["status"]) for o in listed] == [(objection["id"], "withdrawn")]


def test_an_objection_from_someone_not_entitled_is_refused(client: Family) -> None:
    response = client.post(
        f"/v1/children/{SIXTEEN.record.cpr}/objections", json={"given_by": FATHER}
    )
    assert "decides alone" in refused(response, "not-entitled", "authorization")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"target_kind": "period", "valid_from": "2026-11-01"}, "needs valid_until"),
        ({"target_kind": "professional", "valid_from": "2026-11-01"}, "needs target_id"),
        (
            {
                "target_kind": "source_organisation",
                "target_id": "bup-rn-aalborg-typo",
                "valid_from": "2026-11-01",
            },
            "would hide nothing",
        ),
        (
            {
                "target_kind": "professional",
                "target_id": "dr-x",
                "include_sub_units": True,
                "valid_from": "2026-11-01",
            },
            "organisation blocks only",
        ),
    ],
    ids=[
        "period-without-end",
        "professional-without-target",
        "unknown-organisation",
        "sub-units-of-a-person",
    ],
)
def test_malformed_blocks_are_refused(client: Family, body: dict[str, Any], message: str) -> None:
    response = client.post(
        f"/v1/children/{YOUNG.record.cpr}/blocks", json={"given_by": MOTHER, **body}
    )
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_blocks_of_every_kind_are_recorded_listed_and_lifted(client: Family) -> None:
    cpr = SIXTEEN.record.cpr
    me = SIXTEEN.record.cpr
    bodies: list[dict[str, Any]] = [
        {"target_kind": "professional", "target_id": "dr-nielsen"},
        {"target_kind": "organisation", "target_id": "851", "include_sub_units": True},
        {"target_kind": "source_organisation", "target_id": "bup-rn-aalborg-sengeafsnit"},
        {"target_kind": "period", "valid_until": "2026-12-31"},
    ]
    created = [
        post(client, cpr, "blocks", {"given_by": me, "valid_from": "2026-11-01", **b})
        for b in bodies
    ]
    assert [b["status"] for b in created] == ["active"] * 4
    parent = client.post(
        f"/v1/children/{cpr}/blocks",
        json={"given_by": MOTHER, **bodies[0], "valid_from": "2026-11-01"},
    )
    refused(parent, "not-entitled", "authorization")
    lifted = client.post(
        f"/v1/children/{cpr}/blocks/{created[2]['id']}/lift", json={"lifted_by": me}
    )
    assert lifted.json()["status"] == "lifted"
    listed = client.get(f"/v1/children/{cpr}/blocks").json()
    assert [(b["target_kind"], b["status"]) for b in listed] == [
        ("professional", "active"),
        ("organisation", "active"),
        ("source_organisation", "lifted"),
        ("period", "active"),
    ]


def test_history_keeps_every_event_and_derives_expiry(client: Family) -> None:
    cpr = YOUNG.record.cpr
    old = post(client, cpr, "consents", consent(given_on="2025-06-01"))
    kept = post(client, cpr, "consents", consent(FATHER))
    client.post(
        f"/v1/children/{cpr}/consents/{kept['id']}/revoke", json={"revoked_by": FATHER}
    ).raise_for_status()
    objection = post(client, cpr, "objections", {"given_by": MOTHER})
    client.post(
        f"/v1/children/{cpr}/objections/{objection['id']}/withdraw", json={"withdrawn_by": MOTHER}
    ).raise_for_status()
    events = client.get(f"/v1/children/{cpr}/events").json()
    summary = [(e["entry_id"], e["event"], e["derived"]) for e in events]
    assert summary == [
        (old["id"], "expired", True),  # one year after 1 June 2025
        (old["id"], "recorded", False),
        (kept["id"], "recorded", False),
        (kept["id"], "revoked", False),
        (objection["id"], "recorded", False),
        (objection["id"], "withdrawn", False),
    ]
    assert events[0]["on"] == "2026-06-01"
    assert len(client.get(f"/v1/children/{cpr}/consents").json()) == 2


def test_a_child_unknown_to_the_cpr_register_has_no_registry(client: Family) -> None:
    response = client.post("/v1/children/7001154999/consents", json=consent())
    assert response.status_code == 404
