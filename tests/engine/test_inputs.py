"""The engine's input document: what the policy sees of a request and its facts."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from engine.inputs import build_input
from policy.decision import DecisionRequest
from policy.facts import ChildRecord, ConsentFact, ObjectionFact, RegistryState

# Synthetic numbers only (no real person has them).
CHILD = "0101150000"
MOTHER = "0202850000"
FATHER = "0303850000"
TODAY = date(2026, 11, 26)
ASKED = ["psychiatry_appointments", "school_daycare", "psychiatry_appointments"]


def _request(**context: Any) -> DecisionRequest:
    return DecisionRequest.model_validate(
        {
            "subject": {
                "id": "caseworker-1",
                "role": "municipal_caseworker",
                "organisation": {"type": "municipality", "id": "aalborg-family"},
            },
            "action": "view",
            "resource": {"child_cpr": CHILD, "categories": ASKED},
            "context": {"purpose": "social_case_work", **context},
        }
    )


CHILD_RECORD = ChildRecord(
    cpr=CHILD,
    name="Synthetic Child",
    birth_date=date(2015, 1, 1),
    custody_holders=(MOTHER, FATHER),
    municipality="851",
)
REGISTRY = RegistryState(
    consents=[
        ConsentFact(
            id="c1",
            regime="sul_43",
            giver=MOTHER,
            capacity="custody_holder",
            categories=["psychiatry_appointments"],
            recipient={"organisation_type": "municipality", "organisation_id": "aalborg-family"},
            form="written",
            given_on=date(2026, 6, 1),
            valid_until=date(2027, 5, 31),
        )
    ],
    objections=[ObjectionFact(id="o1", person=FATHER)],
)


def _handle(cpr: str) -> str:
    return {MOTHER: "person:mother", FATHER: "person:father"}[cpr]


def test_no_one_but_the_child_is_named_by_number() -> None:
    document = build_input(
        _request(),
        today=TODAY,
        child=CHILD_RECORD,
        relations=[],
        registry=REGISTRY,
        pseudonym=_handle,
    )
    assert document["child"]["custody_holders"] == ["person:mother", "person:father"]
    assert document["facts"]["consents"][0]["giver"] == "person:mother"
    assert document["facts"]["objections"][0]["person"] == "person:father"
    text = json.dumps(document)
    assert MOTHER not in text and FATHER not in text
    assert document["child"]["cpr"] == CHILD


def test_the_childs_age_is_reckoned_on_the_decision_day() -> None:
    document = build_input(
        _request(), today=TODAY, child=CHILD_RECORD, relations=[], registry=RegistryState()
    )
    assert document["child"]["age"] == 11
    assert document["context"]["date"] == "2026-11-26"


def test_a_child_the_register_does_not_know_is_sent_without_age_or_custody() -> None:
    document = build_input(
        _request(), today=TODAY, child=None, relations=[], registry=RegistryState()
    )
    assert document["child"] == {"cpr": CHILD}


def test_each_category_is_asked_once_in_the_order_given() -> None:
    document = build_input(
        _request(), today=TODAY, child=CHILD_RECORD, relations=[], registry=RegistryState()
    )
    assert document["resource"] == {"categories": ["psychiatry_appointments", "school_daycare"]}


def test_the_requesters_organisation_carries_what_it_is_part_of() -> None:
    document = build_input(
        _request(),
        today=TODAY,
        child=CHILD_RECORD,
        relations=[],
        registry=RegistryState(),
        organisation_part_of=["aalborg"],
    )
    assert document["subject"]["organisation"]["part_of"] == ["aalborg"]


def test_without_the_staff_register_nothing_about_the_requester_is_confirmed() -> None:
    document = build_input(
        _request(), today=TODAY, child=CHILD_RECORD, relations=[], registry=RegistryState()
    )
    assert document["facts"]["staff"] == {"subject": None, "acting_for": None}
