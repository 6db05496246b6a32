"""The overview a consumer gets: data per permitted category, the withheld
categories with their reasons and what would make them visible, and the
status of every source that was called."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from policy.decision import Reason

SourceState = Literal["ok", "timeout", "error"]


class SourceStatus(BaseModel):
    source: str
    category: str
    status: SourceState
    detail: str | None = Field(
        default=None,
        description="Why a source gave no answer: timeout, circuit_open, http_503, "
        "auth_not_configured, bad_response, ...",
    )
    records: int = Field(default=0, description="Records from this source that were shown.")
    duration_ms: float = Field(default=0.0, description="How long the fetch took.")


class CategoryData(BaseModel):
    category: str
    label: str
    fields: list[str] = Field(description="The only fields any record may carry.")
    records: list[dict[str, Any]]
    complete: bool = Field(description="True when every source of the category answered.")
    sources: list[str]
    rule_id: str | None
    legal_basis: list[str]
    obligations: list[str]
    override: bool


class WithheldCategory(BaseModel):
    category: str
    label: str
    reasons: list[Reason]
    to_make_visible: list[str] = Field(
        description="What would have to change for the category to be shown, in words."
    )


class Overview(BaseModel):
    decision_id: str
    decided_at: datetime
    engine: str
    policy_revision: str
    purpose: str
    data: dict[str, CategoryData]
    withheld: dict[str, WithheldCategory]
    sources: list[SourceStatus]


def _persons(reason: Reason) -> str:
    people = [
        m.label or m.capacity.replace("_", " ")
        for m in reason.missing or []
        if not isinstance(m, str)
    ]
    return ", ".join(people) or "the persons named in `missing`"


def to_make_visible(reason: Reason) -> str:
    """A plain-language hint for one deny reason."""
    extra = reason.model_extra or {}
    regime = extra.get("regime", "the required")
    hints = {
        "missing_consent": f"A valid {regime} consent from: {_persons(reason)}.",
        "consent_expired": f"A new {regime} consent; the one recorded has lapsed.",
        "no_relation": "An active relation between the requester and the child "
        f"({extra.get('relation', 'relation')}).",
        "blocked": "The citizen lifts the block (a health professional may override it "
        "for a weighty reason, which is flagged in the citizen's log).",
        "objection": "The person who objected withdraws the objection.",
        "no_legal_basis": "Nothing: no legal route lets this role see this for this purpose.",
        "unknown_role": "A role and organisation type the service knows.",
        "missing_fact": "The facts the decision needs (the CPR register must answer).",
        "engine_error": "Ask again; the policy could not be evaluated.",
        "disclosure_not_recorded": "Ask again; the disclosure could not be recorded.",
    }
    return hints.get(reason.code, reason.message)
