"""Sending a message (issue 13) is decided by the policy's single entrypoint,
on both engines alike: result.correspondence for input.action
"send_correspondence", null for every other action."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base import DECISION_RULE
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.opa import OpaServer
from policy.paths import REGO_DIR
from policy.sending import TOPICS as SENDABLE_TOPICS
from tests.conftest import opa_headers
from tests.engine.test_engines_agree import documents

TODAY = "2026-11-26"

GP = {
    "id": "gp-doctor",
    "role": "gp",
    "health_professional": True,
    "organisation": {"type": "gp_clinic", "id": "gp-a", "part_of": []},
}
PSYCHIATRIST = {
    "id": "bup-doctor",
    "role": "bup_psychiatrist",
    "health_professional": True,
    "organisation": {
        "type": "region_psychiatry",
        "id": "bup-rn-aalborg-amb",
        "part_of": ["bup-rn"],
    },
}
CASEWORKER = {
    "id": "caseworker",
    "role": "municipal_caseworker",
    "health_professional": False,
    "organisation": {"type": "municipality", "id": "851-family", "part_of": ["851"]},
}

FAMILY_DEPT = {
    "organisation_id": "851-family",
    "type": "municipality",
    "part_of": ["851"],
    "municipality_code": "851",
}
PPR = {
    "organisation_id": "851-ppr",
    "type": "municipality",
    "part_of": ["851"],
    "municipality_code": "851",
}
OTHER_MUNICIPALITY = {
    "organisation_id": "787-family",
    "type": "municipality",
    "part_of": ["787"],
    "municipality_code": "787",
}
CHILDS_GP: dict[str, Any] = {
    "organisation_id": "gp-a",
    "type": "gp_clinic",
    "part_of": [],
    "municipality_code": None,
}

# The sender's own evidence of its relation to the child.
SENDER_EVIDENCE = {
    "gp": {"type": "consultation", "organisation_id": "gp-a", "date": "2026-11-24"},
    "bup_psychiatrist": {"type": "referral", "organisation_id": "bup-rn-aalborg-amb"},
    "municipal_caseworker": {"type": "case", "organisation_id": "851-family"},
}


def _evidence(kind: dict[str, Any]) -> dict[str, Any]:
    return {"date": "2026-09-01", "ended_on": None, "active": True, **kind}


def consent(consent_id: str, giver: str, regime: str, recipient: str) -> dict[str, Any]:
    return {
        "id": consent_id,
        "regime": regime,
        "giver": giver,
        "categories": ["psychiatry_appointments"],
        "recipient": {"organisation_type": None, "organisation_id": recipient},
        "purposes": [],
        "form": "written",
        "capacity": "child" if giver == "child" else "custody_holder",
        "given_on": "2026-06-01",
        "valid_until": "2027-05-31",
        "revoked_at": None,
        "superseded_by": None,
    }


def send(
    subject: dict[str, Any],
    recipient: dict[str, Any],
    topic: str = "coordination",
    *,
    consents: list[dict[str, Any]] | None = None,
    recipient_relations: list[dict[str, Any]] | None = None,
    grounds: dict[str, Any] | None = None,
    age: int = 9,
) -> dict[str, Any]:
    """A send_correspondence document, as the service builds it."""
    staff = {
        "subject": {
            "id": subject["id"],
            "role": subject["role"],
            "organisation_id": subject["organisation"]["id"],
            "authorisation": {"id": "AB12C", "profession": "Læge", "status": "valid"},
        }
        if subject["health_professional"]
        else None,
        "acting_for": None,
    }
    return {
        "subject": subject,
        "action": "send_correspondence",
        "resource": {
            "categories": [],
            "correspondence": {
                "topic": topic,
                "recipient": recipient,
                "recipient_relations": [_evidence(e) for e in recipient_relations or []],
                "grounds": grounds,
            },
        },
        "context": {"purpose": topic, "date": TODAY, "case_reference": None},
        "child": {
            "cpr": "child",
            "age": age,
            "custody_holders": ["mother", "father"],
            "registered_gp": "gp-a",
            "municipality": "851",
            "acting_municipality": None,
        },
        "facts": {
            "consents": consents or [],
            "objections": [],
            "blocks": [],
            "relations": [_evidence(SENDER_EVIDENCE[subject["role"]])],
            "staff": staff,
        },
    }


def both_parents(regime: str, recipient: str) -> list[dict[str, Any]]:
    return [
        consent("c-mother", "mother", regime, recipient),
        consent("c-father", "father", regime, recipient),
    ]


@pytest.fixture(scope="module")
def decide(opa_server: OpaServer) -> Iterator[Any]:
    """Evaluate a document on both engines, check they agree, return the answer."""
    embedded = EmbeddedEngine(PolicyBundle(REGO_DIR))
    url = opa_server.url + "/v1/data/" + DECISION_RULE.removeprefix("data.").replace(".", "/")
    with httpx.Client(timeout=10) as http:

        def evaluate(document: dict[str, Any]) -> dict[str, Any]:
            document = {**copy.deepcopy(document), "request": {"nonce": "n-1"}}
            ours = embedded.evaluate_sync(document)
            reply = http.post(url, json={"input": document}, headers=opa_headers(opa_server))
            theirs = reply.json()["result"]
            assert theirs.pop("nonce") == "n-1"
            assert ours == theirs
            return ours

        yield evaluate


def _codes(outcome: dict[str, Any]) -> list[str]:
    return [r["code"] for r in outcome["reasons"]]


def test_gp_to_family_department_with_consent_is_permitted(decide: Any) -> None:
    consents = both_parents("sul-43-1", "851-family")
    outcome = decide(send(GP, FAMILY_DEPT, consents=consents))["correspondence"]
    assert outcome["decision"] == "permit"
    assert outcome["category"] == "correspondence"
    assert outcome["fields"] == ["message"]
    assert outcome["rule_id"] == "SEND-SUL-43-1-CONSENT"
    assert outcome["legal_basis"] == ["sul-43-1", "sul-44"]
    assert _codes(outcome) == ["permitted"]
    assert outcome["reasons"][0]["rule_id"] == "SEND-SUL-43-1-CONSENT"
    assert outcome["relied_on"] == {
        "consents": ["c-father", "c-mother"],
        "objections": [],
        "blocks": [],
    }
    assert outcome["obligations"] == ["log_to_citizen"]


def test_gp_to_family_department_without_consent_names_who_must_consent(decide: Any) -> None:
    outcome = decide(send(GP, FAMILY_DEPT))["correspondence"]
    assert outcome["decision"] == "deny"
    assert outcome["fields"] == []
    [reason] = outcome["reasons"]
    assert reason["code"] == "missing_consent"
    assert reason["rule_id"] == "SEND-SUL-43-1-CONSENT"
    assert reason["regime"] == "sul-43-1"
    assert reason["missing"] == [
        {"person": "father", "capacity": "custody_holder"},
        {"person": "mother", "capacity": "custody_holder"},
    ]


def test_a_consent_to_the_family_department_does_not_reach_ppr(decide: Any) -> None:
    consents = both_parents("sul-43-1", "851-family")
    outcome = decide(send(GP, PPR, consents=consents))["correspondence"]
    assert _codes(outcome) == ["missing_consent"]


def test_psychiatry_to_ppr_with_a_health_act_consent_is_permitted(decide: Any) -> None:
    consents = [consent("c-child", "child", "sul-43-1", "851-ppr")]
    document = send(PSYCHIATRIST, PPR, "treatment", consents=consents, age=15)
    outcome = decide(document)["correspondence"]
    assert (outcome["decision"], outcome["rule_id"]) == ("permit", "SEND-SUL-43-1-CONSENT")
    assert outcome["relied_on"]["consents"] == ["c-child"]


def test_caseworker_to_gp_without_consent_needs_an_administration_act_consent(
    decide: Any,
) -> None:
    outcome = decide(send(CASEWORKER, CHILDS_GP))["correspondence"]
    assert outcome["decision"] == "deny"
    [reason] = outcome["reasons"]
    assert (reason["code"], reason["rule_id"], reason["regime"]) == (
        "missing_consent",
        "SEND-FVL-28-CONSENT",
        "fvl-28-2-1",
    )
    assert [m["person"] for m in reason["missing"]] == ["father", "mother"]


def test_caseworker_to_gp_with_consent_is_permitted(decide: Any) -> None:
    consents = both_parents("fvl-28-2-1", "gp-a")
    outcome = decide(send(CASEWORKER, CHILDS_GP, consents=consents))["correspondence"]
    assert (outcome["decision"], outcome["rule_id"]) == ("permit", "SEND-FVL-28-CONSENT")


def test_a_report_of_concern_is_sent_by_its_own_channel(decide: Any) -> None:
    outcome = decide(send(GP, FAMILY_DEPT, "report_of_concern"))["correspondence"]
    assert outcome["decision"] == "deny"
    [reason] = outcome["reasons"]
    assert reason["code"] == "wrong_channel"
    assert reason["rule_id"] == "SEND-REPORT-OF-CONCERN-CHANNEL"
    assert reason["channel"]["id"] == "municipal_report_of_concern"
    assert set(reason["channel"]) == {"id", "label", "standard"}


def test_a_referral_is_sent_as_a_medcom_referral(decide: Any) -> None:
    outcome = decide(send(GP, FAMILY_DEPT, "referral"))["correspondence"]
    [reason] = outcome["reasons"]
    assert (reason["code"], reason["channel"]["id"]) == ("wrong_channel", "medcom_referral")


def test_a_unit_of_another_municipality_is_not_involved(decide: Any) -> None:
    consents = both_parents("sul-43-1", "787-family")
    outcome = decide(send(GP, OTHER_MUNICIPALITY, consents=consents))["correspondence"]
    assert outcome["decision"] == "deny"
    [reason] = outcome["reasons"]
    assert (reason["code"], reason["rule_id"]) == (
        "recipient_not_involved",
        "SEND-RECIPIENT-INVOLVED",
    )
    assert reason["recipient"] == "787-family"


def test_psychiatry_to_the_childs_gp_for_the_treatment_needs_no_consent(decide: Any) -> None:
    outcome = decide(send(PSYCHIATRIST, CHILDS_GP, "treatment"))["correspondence"]
    assert outcome["decision"] == "permit"
    assert outcome["rule_id"] == "SEND-SUL-41-TREATMENT"
    assert outcome["legal_basis"] == ["sul-41-2-1", "sul-41-3"]
    assert outcome["relied_on"]["consents"] == []


def test_a_weighty_concern_permits_without_consent(decide: Any) -> None:
    grounds = {"kind": "weighty_concern", "reason": "The child said it is afraid to go home."}
    outcome = decide(send(GP, FAMILY_DEPT, grounds=grounds))["correspondence"]
    assert outcome["decision"] == "permit"
    assert outcome["rule_id"] == "SEND-SUL-43-2-WEIGHTY-CONCERN"
    assert outcome["legal_basis"] == ["sul-43-2-2", "sul-43-3"]
    assert outcome["obligations"] == ["log_to_citizen", "record_disclosure_grounds"]


def test_a_weighty_concern_without_reasons_is_refused_with_the_consent_needed(
    decide: Any,
) -> None:
    grounds = {"kind": "weighty_concern", "reason": "worried"}
    outcome = decide(send(GP, FAMILY_DEPT, grounds=grounds))["correspondence"]
    assert _codes(outcome) == ["missing_consent", "grounds_insufficient"]


def test_a_send_without_a_recipient_is_a_missing_fact(decide: Any) -> None:
    document = send(GP, FAMILY_DEPT)
    document["resource"]["correspondence"]["recipient"] = None
    outcome = decide(document)["correspondence"]
    [reason] = outcome["reasons"]
    assert (reason["code"], reason["missing"]) == (
        "missing_fact",
        ["resource.correspondence.recipient"],
    )


def test_a_lookup_has_no_correspondence_answer(decide: Any) -> None:
    document = send(GP, FAMILY_DEPT)
    document["action"] = "view"
    document["resource"] = {"categories": ["psychiatry_contacts"]}
    answer = decide(document)
    assert answer["correspondence"] is None
    assert set(answer["categories"]) == {"psychiatry_contacts"}


RECIPIENTS = [FAMILY_DEPT, PPR, OTHER_MUNICIPALITY, CHILDS_GP]
RECIPIENTS += [
    {"organisation_id": "gp-b", "type": "gp_clinic", "part_of": [], "municipality_code": None},
    {
        "organisation_id": "bup-rn-aalborg-amb",
        "type": "region_psychiatry",
        "part_of": ["bup-rn"],
        "municipality_code": None,
    },
    {"organisation_id": "school-1", "type": "school", "part_of": ["851"]},
]
TOPICS = [*SENDABLE_TOPICS, "gossip"]
"""Every topic the API accepts, and one it refuses (the policy must deny it too)."""


@st.composite
def sends(draw: st.DrawFn) -> dict[str, Any]:
    """A random lookup document (tests/engine/test_engines_agree) turned into a send,
    sometimes with consents and evidence that name the recipient."""
    document = draw(documents())
    recipient = draw(st.sampled_from(RECIPIENTS))
    org = recipient["organisation_id"]
    document["action"] = "send_correspondence"
    topic = draw(st.sampled_from(TOPICS))
    document["context"]["purpose"] = topic
    for c in document["facts"]["consents"]:
        if draw(st.booleans()):
            c["recipient"] = {"organisation_type": None, "organisation_id": org}
    evidence = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["referral", "episode", "appointment", "case"]),
            "organisation_id": st.sampled_from([org, "851-family", "gp-a"]),
            "date": st.just("2026-09-01"),
            "ended_on": st.sampled_from([None, "2026-11-25", "2026-11-26"]),
            "active": st.booleans(),
        }
    )
    grounds = st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["weighty_concern", "other"]),
                "reason": st.sampled_from(["", "too short", "The child is afraid to go home."]),
            }
        ),
    )
    document["resource"] = {
        "categories": [],
        "correspondence": {
            "topic": topic,
            "recipient": draw(st.sampled_from([recipient, recipient, None])),
            "recipient_relations": draw(st.lists(evidence, max_size=3)),
            "grounds": draw(grounds),
        },
    }
    return document


@st.composite
def likely_sends(draw: st.DrawFn) -> dict[str, Any]:
    """A send shaped like a permit (a sender with its relation, the parents' or the
    young person's consent naming the recipient), then perhaps disturbed."""
    recipient = draw(st.sampled_from(RECIPIENTS[:-1]))
    age = draw(st.sampled_from([9, 14, 15, 17]))
    regime = draw(st.sampled_from(["sul-43-1", "fvl-28-2-1", "sul-42a-3"]))
    org = recipient["organisation_id"]
    consents = (
        [consent("c-child", "child", regime, org)] if age >= 15 else both_parents(regime, org)
    )
    document = send(
        draw(st.sampled_from([GP, PSYCHIATRIST, CASEWORKER])),
        recipient,
        draw(st.sampled_from(["coordination", "treatment", "referral"])),
        consents=draw(st.sampled_from([consents, consents[:1], []])),
        recipient_relations=draw(
            st.sampled_from(
                [
                    [],
                    [{"type": "referral", "organisation_id": org}],
                    [{"type": "case", "organisation_id": "851-family"}],
                ]
            )
        ),
        grounds=draw(
            st.sampled_from([None, {"kind": "weighty_concern", "reason": "Afraid to go home."}])
        ),
        age=age,
    )
    noise = draw(documents())["facts"]
    if draw(st.booleans()):
        document["facts"]["objections"] = noise["objections"]
    if draw(st.booleans()):
        document["facts"]["consents"] += noise["consents"]
    return document


def test_engines_agree_on_random_sends(decide: Any) -> None:
    decisions: set[str] = set()

    @settings(
        max_examples=250,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.one_of(sends(), likely_sends()))
    def check(document: dict[str, Any]) -> None:
        outcome = decide(document)["correspondence"]
        decisions.add(outcome["decision"])
        assert outcome["category"] == "correspondence"

    check()
    assert decisions == {"permit", "deny"}
