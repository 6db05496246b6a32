"""Request examples for OpenAPI: what /docs shows, and what the fuzzer tries first.

Alma (CPR 6809144615) is a synthetic child of the seeded demo population: 12 years
old, both custody holders consented in writing to psychiatry data for Aalborg's
family department (see examples/caseworker-psychiatry.json)."""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example

ALMA = "6809144615"
_ASK = ["psychiatry_appointments", "psychiatry_contacts", "school_daycare"]

DECISION: dict[str, Example] = {
    "caseworker": Example(
        summary="A caseworker asks about Alma (the subject comes from the token)",
        value={
            "resource": {"child_cpr": ALMA, "categories": _ASK},
            "context": {"purpose": "social_case_work"},
        },
    )
}

_AZ_QUESTION: dict[str, Any] = {
    "subject": {"type": "user", "id": "cw-851-family-1"},
    "resource": {"type": "child", "id": ALMA, "properties": {"categories": _ASK[:2]}},
    "action": {"name": "view"},
    "context": {"purpose": "social_case_work"},
}

EVALUATION: dict[str, Example] = {
    "caseworker": Example(
        summary="May caseworker cw-851-family-1 view Alma's psychiatry data?",
        value=_AZ_QUESTION,
    )
}

EVALUATIONS: dict[str, Example] = {
    "per_category": Example(
        summary="One evaluation per category, stop at the first deny",
        value={
            "subject": _AZ_QUESTION["subject"],
            "action": _AZ_QUESTION["action"],
            "context": _AZ_QUESTION["context"],
            "evaluations": [
                {"resource": {"type": "child", "id": ALMA, "properties": {"category": c}}}
                for c in _ASK
            ],
            "options": {"evaluations_semantic": "deny_on_first_deny"},
        },
    )
}

CHILD: dict[str, Example] = {"alma": Example(summary="Alma (synthetic)", value=ALMA)}
