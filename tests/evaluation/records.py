"""Audit records made up for the evaluation's tests: only the fields the report reads."""

from __future__ import annotations

from datetime import UTC, datetime

from audit.models import AuditRecord, CategoryOutcome, OverrideRecord, ReasonRecord, Requester
from policy.decision import ReliedOn

ROLE_ORGANISATION_TYPE = {
    "gp": "gp_clinic",
    "municipal_caseworker": "municipality",
    "ppr_psychologist": "municipality",
    "bup_psychiatrist": "region_psychiatry",
}


def reason(code: str, days: int | None = None) -> ReasonRecord:
    return ReasonRecord(
        code=code,
        rule_id="FVL-28-GP-CONSENT",
        legal_basis=["fvl-28-2-1"],
        message="…",
        days_outside_window=days,
    )


def lookup(
    child: str,
    *,
    role: str = "gp",
    unit: str = "gp-a",
    month: int = 11,
    day: int = 2,
    reasons: list[ReasonRecord] | None = None,
    permit: bool = False,
    kind: str = "decision",
) -> AuditRecord:
    """One lookup (or, with kind="disclosure", one overview) by `role` at `unit`
    about `child` in 2026-`month`, its one category denied for `reasons` or permitted."""
    at = datetime(2026, month, day, 9, tzinfo=UTC)
    outcome = CategoryOutcome(
        decision="permit" if permit else "deny",
        fields=[],
        rule_id=None,
        legal_basis=[],
        reasons=reasons or [],
        relied_on=ReliedOn(),
        override=False,
        obligations=[],
    )
    return AuditRecord.model_validate(
        {
            "kind": kind,
            "decision_id": f"d-{child}-{month}-{day}-{role}",
            "recorded_at": at,
            "decided_at": at,
            "trace_id": "t",
            "requester": Requester(
                id=f"{role}-1",
                role=role,
                organisation_type=ROLE_ORGANISATION_TYPE[role],
                organisation_id=unit,
                health_professional=role in {"gp", "bup_psychiatrist"},
            ),
            "child_cpr": child,
            "purpose": "treatment_preparation",
            "action": "view",
            "categories_asked": ["municipal_contacts"],
            "outcome": "permit" if permit else "deny",
            "categories": {"municipal_contacts": outcome} if kind == "decision" else {},
            "override": OverrideRecord(requested=False, used=False),
            "policy_revision": "r",
            "engine": "embedded",
        }
    )
