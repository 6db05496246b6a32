"""The MedCom Acknowledgement the relay reads back: built and parsed, positive with
the filing, negative with MedCom's error code, and what is not one refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from correspondence.acknowledgement import (
    ACK_OUTCOME_PROFILE,
    Acknowledgement,
    AcknowledgementRefused,
    Issue,
    build_acknowledgement,
    parse_acknowledgement,
)
from correspondence.medcom import message_json
from tests.correspondence.helpers import BUP, MUNICIPALITY, clock, uuids
from tests.correspondence.outbox_world import NOW, message


def ack(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "acknowledges": "1b7e0c64-0000-4000-8000-000000000001",
        "code": "ok",
        "sender": MUNICIPALITY,
        "receiver": BUP,
        "new_id": uuids(500),
        "now": clock(NOW),
    }
    fields.update(changes)
    return message_json(build_acknowledgement(**fields))


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_positive_acknowledgement_says_on_which_case_the_message_was_filed() -> None:
    bundle = ack(filing="filed-on-case", filed_on_case="case-0007")
    parsed = parse_acknowledgement(bundle)
    header = bundle["entry"][0]["resource"]
    assert parsed == Acknowledgement(
        message_id=header["id"],
        acknowledges="1b7e0c64-0000-4000-8000-000000000001",
        code="ok",
        received_at=NOW,
        filing="filed-on-case",
        filed_on_case="case-0007",
    )
    [outcome] = resources(bundle, "OperationOutcome")
    assert header["response"]["details"] == {"reference": f"OperationOutcome/{outcome['id']}"}
    assert "meta" not in outcome  # not MedCom's outcome profile: that one is for failures
    assert outcome["issue"][0]["severity"] == "information"
    assert outcome["issue"][0]["details"]["text"] == "Journaliseret automatisk på sag case-0007"
    [provenance] = resources(bundle, "Provenance")
    assert provenance["activity"]["coding"][0]["code"] == "acknowledgement"
    assert provenance["entity"] == [
        {"role": "revision", "what": {"identifier": {"value": parsed.acknowledges}}}
    ]


def test_a_plain_positive_acknowledgement_has_no_outcome() -> None:
    bundle = ack()
    assert resources(bundle, "OperationOutcome") == []
    assert parse_acknowledgement(bundle).filing is None


def test_a_negative_acknowledgement_carries_medcoms_error_code_even_without_parties() -> None:
    issue = Issue(code="MSG_Receiver_Identifier_UNKNOWN", text="unknown receiver")
    bundle = ack(code="fatal-error", issue=issue, sender=None, receiver=None)
    [outcome] = resources(bundle, "OperationOutcome")
    assert outcome["meta"]["profile"] == [ACK_OUTCOME_PROFILE]
    assert outcome["issue"][0]["severity"] == "error"
    parsed = parse_acknowledgement(bundle)
    assert (parsed.code, parsed.issues, parsed.filing) == (
        "fatal-error",
        ("MSG_Receiver_Identifier_UNKNOWN",),
        None,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"issue": Issue(code="X", text="x")},  # an issue on an ok
        {"code": "fatal-error"},  # a fatal-error without an issue
        {"code": "fatal-error", "issue": Issue(code="X", text="x"), "filing": "not-filed"},
        {"filing": "filed-on-case"},  # filed, but on no case
        {"filing": "not-filed", "filed_on_case": "case-1"},
    ],
)
def test_the_builder_refuses_what_does_not_fit_together(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ack(**changes)


def test_what_is_not_an_acknowledgement_is_refused() -> None:
    _, care_communication = message()
    with pytest.raises(AcknowledgementRefused):
        parse_acknowledgement(json.loads(care_communication))
    with pytest.raises(AcknowledgementRefused):
        parse_acknowledgement({"resourceType": "Patient"})
    broken = ack(filing="not-filed")
    broken["entry"] = [
        e for e in broken["entry"] if e["resource"]["resourceType"] != "OperationOutcome"
    ]
    with pytest.raises(AcknowledgementRefused):
        parse_acknowledgement(broken)
