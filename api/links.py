"""OpenAPI links: which answer feeds which next call (OpenAPI 3.1 Link Objects).

They tell an integrator (and the stateful fuzzer) that the `id` of a created
consent is what `getConsent` takes, that a decision's `decision_id` finds its
audit records, and so on. `api.app` adds them to the generated schema."""

from __future__ import annotations

from typing import Any

_CONSENT = ("getConsent", "exportFhirConsent", "revokeConsent")
_AUDIT = ("readAuditRecords", "exportAuditFhir")

LINKS: tuple[tuple[str, str, tuple[str, ...], str, str], ...] = (
    # (source operation, its status, target operations, their path parameter, JSON pointer)
    # One source per (target, status): schemathesis 3.x names a stateful rule by
    # target and status, so a second source for the same pair would hide the first.
    ("createConsent", "201", _CONSENT, "consent_id", "/id"),
    ("listConsents", "200", _CONSENT, "consent_id", "/0/id"),
    ("createObjection", "201", ("withdrawObjection",), "objection_id", "/id"),
    ("listObjections", "200", ("withdrawObjection",), "objection_id", "/0/id"),
    ("createBlock", "201", ("liftBlock",), "block_id", "/id"),
    ("listBlocks", "200", ("liftBlock",), "block_id", "/0/id"),
    ("createDecision", "200", _AUDIT, "decision_id", "/decision_id"),
)


def add_links(schema: dict[str, Any]) -> None:
    """Put LINKS into the responses of a generated OpenAPI document. A target
    under a child's path takes the CPR number of the request that led there."""
    operations: dict[str, tuple[str, dict[str, Any]]] = {
        op["operationId"]: (path, op)
        for path, item in schema.get("paths", {}).items()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for source, status, targets, parameter, pointer in LINKS:
        response = operations[source][1]["responses"][status]
        links = response.setdefault("links", {})
        for target in targets:
            parameters = {f"path.{parameter}": f"$response.body#{pointer}"}
            if "{cpr}" in operations[target][0]:
                parameters["path.cpr"] = "$request.path.cpr"
            name = target[0].upper() + target[1:]
            links[name] = {"operationId": target, "parameters": parameters}
