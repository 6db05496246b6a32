"""Grading a requester organisation's relation to a child, in the style of the
national treatment-relation service (BRS):

- A+ direct referral: an active referral to the organisation;
- A same place, same day: an appointment or consultation there today;
- B+ same treatment place: other appointments there (booked, or in the last
  year); an open case in the unit;
- B registered GP: the child's GP registration (from CPR);
- C historical: older appointments, ended referrals, closed cases.

Grades are informative; the policy decides on the relation kinds
(rego/hoi/relation/relation.rego), and the GP's lookup window around a
consultation is policy data (`gp_window`), so consultations are passed on with
their dates whatever their distance from today.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

from broker.adapters.relations import Evidence
from policy.facts import ChildRecord, Relation

HISTORICAL_AFTER = timedelta(days=365)


def grade_relations(
    organisation_id: str, child: ChildRecord, evidence: Iterable[Evidence], today: date
) -> list[Relation]:
    found: list[Relation] = []
    if child.registered_gp == organisation_id:
        found.append(Relation(kind="registered_gp", organisation_id=organisation_id, grade="B"))
    for item in evidence:
        if item.type == "referral":
            if item.active:
                found.append(
                    Relation(kind="treatment_course", organisation_id=organisation_id, grade="A+")
                )
            else:
                found.append(_historical(organisation_id, item.date))
        elif item.type == "appointment":
            if item.date is None:
                continue
            if item.date == today:
                found.append(_course(organisation_id, item.date, "A"))
            elif item.date >= today - HISTORICAL_AFTER:
                found.append(_course(organisation_id, item.date, "B+"))
            else:
                found.append(_historical(organisation_id, item.date))
        elif item.type == "consultation":
            if item.date is None or child.registered_gp != organisation_id:
                continue  # only the child's own GP has consultations that count
            found.append(
                Relation(
                    kind="consultation",
                    organisation_id=organisation_id,
                    date=item.date,
                    grade="A" if item.date == today else "B",
                )
            )
        elif item.type == "case":
            if item.active:
                found.append(
                    Relation(kind="open_case", organisation_id=organisation_id, grade="B+")
                )
            else:
                found.append(_historical(organisation_id, item.date))
    return found


def _course(organisation_id: str, on: date, grade: Literal["A", "B+"]) -> Relation:
    return Relation(kind="treatment_course", organisation_id=organisation_id, date=on, grade=grade)


def _historical(organisation_id: str, on: date | None) -> Relation:
    return Relation(
        kind="historical", organisation_id=organisation_id, date=on, active=False, grade="C"
    )
