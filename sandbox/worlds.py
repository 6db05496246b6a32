"""A compliance scenario's world as a synthetic population, for the sandbox's
source systems and the in-process facts of the development service (the
compliance scenarios through the API)."""

from __future__ import annotations

from handbook.scenarios import Scenario, register_of
from sandbox.population import Case, Child, Population


def scenario_population(scenario: Scenario) -> Population:
    """The scenario's child (when the CPR register knows it), with its course,
    consultations, open cases and further evidence, and the staff register."""
    children: dict[str, Child] = {}
    record = scenario.child_record()
    if record is not None:
        child = Child(
            record=record, municipality=scenario.child.municipality, divorced=False, school={}
        )
        child.course_department = scenario.treatment_course()
        child.consultations = scenario.gp_consultations()
        child.cases = [
            Case(
                id="case-1", unit=unit, kle="27.24", caseworker_id=scenario.requester.id, open=True
            )
            for unit in scenario.open_cases()
        ]
        child.evidence = scenario.other_evidence()
        children[record.cpr] = child
    return Population(scenario.date, children, {}, {}, [], [], [], register_of(scenario.staff()))
