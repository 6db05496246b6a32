"""Assembling the policy input document from a request and its facts."""

from __future__ import annotations

from collections.abc import Callable
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
    pseudonym: Callable[[str], str] = str,
    staff: StaffFacts | None = None,
) -> dict[str, Any]:
    """The document the Rego entrypoint reads. A child the register does not know
    is sent without age or custody holders, and the policy denies for missing facts.

    `pseudonym` replaces every other person's CPR number (custody holders, the
    givers of consents and objections) by their per-child handle
    (`policy.persons`): the policy needs to tell people apart, never their
    numbers, so no answer built from its output can carry them.
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
    override = request.context.override
    if override is not None:
        context["override"] = override.model_dump(mode="json")
        if override.problem() is not None:  # refused by validation: never valid here
            context["override"]["reason"] = ""
    child_doc: dict[str, Any] = {"cpr": request.resource.child_cpr}
    if child is not None:
        child_doc["age"] = age_on(child.birth_date, today)
        child_doc["custody_holders"] = [pseudonym(h) for h in child.custody_holders]
        child_doc["registered_gp"] = child.registered_gp
        child_doc["municipality"] = child.municipality
        child_doc["acting_municipality"] = child.acting_municipality
    return {
        "subject": subject,
        "action": request.action,
        "resource": {"categories": list(dict.fromkeys(request.resource.categories))},
        "context": context,
        "child": child_doc,
        "facts": {
            **_pseudonymous(registry, pseudonym),
            "relations": relation_facts(relations),
            "staff": (staff or StaffFacts()).model_dump(mode="json"),
        },
    }


def relation_facts(relations: list[Relation]) -> list[dict[str, Any]]:
    """The relation evidence as the policy grades it (rego/hoi/relation)."""
    return [r.model_dump(mode="json") for r in relations]


def _pseudonymous(registry: RegistryState, pseudonym: Callable[[str], str]) -> dict[str, Any]:
    document = registry.model_dump(mode="json")
    for consent in document["consents"]:
        consent["giver"] = pseudonym(consent["giver"])
    for objection in document["objections"]:
        objection["person"] = pseudonym(objection["person"])
    return document
