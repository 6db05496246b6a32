"""What a scenario's expectations accept and refuse, and what its facts mean."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from handbook.expectations import AccessLogExpectation, Expectation
from handbook.scenarios import Scenario

DENY_BLOCKED: dict[str, Any] = {
    "category": "psychiatry_appointments",
    "decision": "deny",
    "fields": [],
    "rule_id": None,
    "reasons": [
        {"code": "blocked", "rule_id": "BLOCK-MIN-SPAERRING", "message": "Blocked."},
        {"code": "no_relation", "rule_id": "REL", "message": "No relation."},
    ],
    "relied_on": {"consents": [], "objections": [], "blocks": ["b1"]},
}
PERMIT: dict[str, Any] = {
    "category": "psychiatry_appointments",
    "decision": "permit",
    "fields": ["date", "time", "department"],
    "rule_id": "SUL-42A-3-CONSENT",
    "reasons": [{"code": "permitted", "rule_id": "SUL-42A-3-CONSENT", "message": "Permitted."}],
}


def expectation(**given: Any) -> Expectation:
    return Expectation.model_validate(given)


def test_reasons_include_is_a_subset_in_any_order() -> None:
    assert (
        expectation(decision="deny", reasons_include=["no_relation", "blocked"]).problems(
            DENY_BLOCKED
        )
        == []
    )
    assert expectation(decision="deny", reasons_include=["objection"]).problems(DENY_BLOCKED) == [
        "reasons: expected to include ['objection'], got ['blocked', 'no_relation']"
    ]


def test_exact_reasons_keep_their_order() -> None:
    assert expectation(decision="deny", reasons=["no_relation", "blocked"]).problems(
        DENY_BLOCKED
    ) == ["reasons: expected ['no_relation', 'blocked'], got ['blocked', 'no_relation']"]


def test_fields_never_names_a_leaked_field() -> None:
    assert expectation(decision="permit", fields_never=["status"]).problems(PERMIT) == []
    assert expectation(decision="permit", fields_never=["time", "status"]).problems(PERMIT) == [
        "fields permitted that never may be: ['time']"
    ]


def test_any_of_holds_when_one_alternative_does() -> None:
    either = expectation(
        any_of=[{"decision": "deny"}, {"decision": "permit", "rule_id": "SUL-42A-3-CONSENT"}]
    )
    assert either.problems(DENY_BLOCKED) == []
    assert either.problems(PERMIT) == []
    only_clinician = expectation(
        any_of=[{"decision": "deny"}, {"decision": "permit", "rule_id": "SUL-42A-1-BUP-LOOKUP"}]
    )
    assert only_clinician.problems(PERMIT) == [
        "none of the alternatives holds: expected deny, got permit (['permitted']); or "
        "rule_id: expected SUL-42A-1-BUP-LOOKUP, got SUL-42A-3-CONSENT"
    ]


def test_an_expectation_says_something() -> None:
    with pytest.raises(ValidationError, match="give the expected decision"):
        expectation(reasons_include=["blocked"])


def test_overview_records_and_the_block_flag() -> None:
    withheld = {
        "data": {},
        "withheld": {"psychiatry_appointments": {"reasons": [{"code": "blocked"}]}},
    }
    shown = {
        "data": {"psychiatry_appointments": {"records": [{"date": "2026-11-01"}]}},
        "withheld": {},
    }
    blocked = expectation(decision="deny", overview={"records": 0, "withheld_by_block": True})
    assert blocked.needs_overview()
    assert blocked.problems(DENY_BLOCKED, overview=withheld) == []
    assert blocked.problems(DENY_BLOCKED, overview=shown) == [
        "the overview shows 1 record(s), expected 0",
        "the overview does not say that records are withheld by a block",
    ]
    # Without the overview (the CLI), overview expectations are not checked.
    assert blocked.problems(DENY_BLOCKED) == []


def test_access_log_entries_and_override_flag() -> None:
    log = {"entries": [{"override": False}, {"override": True}]}
    assert AccessLogExpectation(entries=2, includes_override=True).problems(log) == []
    assert AccessLogExpectation(entries=1, includes_override=False).problems(log) == [
        "the access log lists 2 entries, expected 1",
        "the access log flags an override",
    ]


def _scenario(child: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(
        {
            "title": "t",
            "legal_references": [],
            "facts": "f",
            "date": "2026-11-26",
            "child": {"custody_holders": ["mother"], **child},
            "requester": {"role": "gp", "organisation": "x", "organisation_type": "gp_clinic"},
            "purpose": "current_treatment",
            "ask": ["psychiatry_appointments"],
        }
    )


def test_a_birth_date_sets_the_age_to_the_day() -> None:
    turns_15_today = _scenario({"born": "2011-11-26"})
    turns_15_tomorrow = _scenario({"born": "2011-11-27"})
    assert turns_15_today.age() == 15
    assert turns_15_today.decider() == "child"
    assert turns_15_tomorrow.age() == 14
    assert turns_15_tomorrow.decider() == "mother"
    record = turns_15_today.child_record()
    assert record is not None
    assert record.birth_date == dt.date(2011, 11, 26)


def test_age_stays_a_shorthand_and_not_both() -> None:
    assert _scenario({"age": 9}).age() == 9
    assert _scenario({}).age() is None
    with pytest.raises(ValidationError, match="not both"):
        _scenario({"age": 9, "born": "2017-01-01"})
