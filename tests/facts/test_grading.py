"""Relations graded in the style of BRS from a source's evidence."""

from __future__ import annotations

from datetime import date, timedelta

from broker.adapters.relations import Evidence
from facts.grading import grade_relations
from policy.facts import ChildRecord

TODAY = date(2026, 11, 26)
CHILD = ChildRecord(
    cpr="6809144615",
    name="Synthetic",
    birth_date=date(2014, 9, 8),
    custody_holders=("7912891555",),
    registered_gp="gp-a",
)


def _grades(org: str, *evidence: Evidence) -> list[tuple[str, str | None]]:
    return [(r.kind, r.grade) for r in grade_relations(org, CHILD, evidence, TODAY)]


def test_active_referral_is_a_direct_relation() -> None:
    assert _grades("bup-x", Evidence(type="referral")) == [("treatment_course", "A+")]


def test_appointment_today_is_same_place_same_day() -> None:
    assert _grades("bup-x", Evidence(type="appointment", date=TODAY)) == [("treatment_course", "A")]


def test_other_recent_or_booked_appointments_are_same_treatment_place() -> None:
    booked = Evidence(type="appointment", date=TODAY + timedelta(days=20))
    recent = Evidence(type="appointment", date=TODAY - timedelta(days=200))
    assert _grades("bup-x", booked, recent) == [("treatment_course", "B+")] * 2


def test_old_appointments_ended_referrals_and_closed_cases_are_historical() -> None:
    old = Evidence(type="appointment", date=TODAY - timedelta(days=400))
    ended = Evidence(type="referral", active=False)
    closed = Evidence(type="case", active=False)
    relations = grade_relations("org", CHILD, [old, ended, closed], TODAY)
    assert [(r.kind, r.grade, r.active) for r in relations] == [("historical", "C", False)] * 3


def test_registered_gp_and_its_consultations() -> None:
    soon = Evidence(type="consultation", date=TODAY + timedelta(days=5))
    now = Evidence(type="consultation", date=TODAY)
    assert _grades("gp-a", soon, now) == [
        ("registered_gp", "B"),
        ("consultation", "B"),
        ("consultation", "A"),
    ]


def test_consultations_at_a_clinic_that_is_not_the_childs_gp_do_not_count() -> None:
    assert _grades("gp-b", Evidence(type="consultation", date=TODAY)) == []


def test_open_case_in_the_unit() -> None:
    assert _grades("851-family", Evidence(type="case")) == [("open_case", "B+")]


def test_no_evidence_no_relation() -> None:
    assert _grades("851-family") == []
