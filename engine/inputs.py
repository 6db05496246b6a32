"""Assembling the policy input document from a request and its facts."""

from __future__ import annotations

from datetime import date
from typing import Any

from policy.cpr import age_on
from policy.decision import DecisionRequest
from policy.facts import ChildRecord, RegistryState, Relation, StaffFacts


def build_input(
    request: DecisionRequest,
    *,
    today: date,
    child: ChildRecord | None,
    relations: list[Relation],
    registry: RegistryState,
    organisation_part_of: list[str] | None = None,
    staff: StaffFacts | None = None,
) -> dict[str, Any]:
    """The document the Rego entrypoint reads. A child the register does not know
    is sent without age or custody holders, and the policy denies for missing facts.
    `staff` is what the staff register says about the requester and the clinician
    named; without it no health-professional authorisation and no acting-for is
    confirmed."""
    subject = request.subject.model_dump(mode="json")
    subject["organisation"]["part_of"] = organisation_part_of or []
    context: dict[str, Any] = {
        "purpose": request.context.purpose,
        "date": today.isoformat(),
        "case_reference": request.context.case_reference,
    }
    if request.context.override is not None:
        context["override"] = request.context.override.model_dump(mode="json")
    child_doc: dict[str, Any] = {"cpr": request.resource.child_cpr}
    if child is not None:
        child_doc["age"] = age_on(child.birth_date, today)
        child_doc["custody_holders"] = list(child.custody_holders)
    return {
        "subject": subject,
        "action": request.action,
        "resource": {"categories": list(dict.fromkeys(request.resource.categories))},
        "context": context,
        "child": child_doc,
        "facts": {
            **registry.model_dump(mode="json"),
            "relations": [r.model_dump(mode="json") for r in relations],
            "staff": (staff or StaffFacts()).model_dump(mode="json"),
        },
    }
