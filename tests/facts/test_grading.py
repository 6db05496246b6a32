"""The information point passes relation evidence on for the policy to grade."""

from __future__ import annotations

from datetime import date

from broker.adapters.relations import Evidence
from engine.inputs import relation_facts
from facts.grading import evidence_of

TODAY = date(2026, 11, 26)


def test_evidence_is_passed_with_its_dates_and_the_organisation_holding_it() -> None:
    evidence = [
        Evidence(type="referral", date=date(2026, 10, 1)),
        Evidence(type="episode", date=date(2026, 1, 5), ended_on=date(2026, 11, 20), active=False),
        Evidence(type="appointment", date=TODAY),
    ]
    assert relation_facts(evidence_of("bup-x", evidence)) == [
        {
            "type": "referral",
            "organisation_id": "bup-x",
            "date": "2026-10-01",
            "ended_on": None,
            "active": True,
        },
        {
            "type": "episode",
            "organisation_id": "bup-x",
            "date": "2026-01-05",
            "ended_on": "2026-11-20",
            "active": False,
        },
        {
            "type": "appointment",
            "organisation_id": "bup-x",
            "date": "2026-11-26",
            "ended_on": None,
            "active": True,
        },
    ]


def test_no_evidence_no_relations() -> None:
    assert evidence_of("bup-x", []) == []
