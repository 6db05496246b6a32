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
    records: list[dict[str, Any]] = Field(
        description="The records, each with only permitted fields. A contact point's "
        "`recipient` (where the category's fields name it) is its organisation as the "
        "organisation register knows it: `write_to` (a handle such as "
        "`org/851/unit/851-family`, resolved through the register only), `name`, "
        "`sor_id`, `gln` (EAN/GLN location number) and `kle` (KLE task areas of a "
        "municipal unit)."
    )
    complete: bool = Field(
        description="True when every source of the category answered and no record was "
        "withheld at the family's request (then the category is also in `withheld`)."
    )
    sources: list[str]
    rule_id: str | None
    legal_basis: list[str]
    obligations: list[str]
    override: bool


class WithheldCategory(BaseModel):
    """A category withheld from the requester, in whole or in part. A part withheld
    by a block says so, and never which organisation's records or how many."""

    category: str
    label: str
    reason: str = Field(description="The code of the main reason, e.g. withheld_by_block.")
    reasons: list[Reason]
    to_make_visible: list[str] = Field(
        description="What would have to change for the category to be shown, in words."
    )
    partial: bool = Field(
        default=False,
        description="True when the category is shown in `data` and only some of its records "
        "are withheld.",
    )
    withheld_by_block: bool = Field(
        default=False,
        description="Withheld, in whole or in part, at the family's request (a block).",
    )
    override_possible: bool = Field(
        default=False,
        description="The policy's answer: this requester may set the block aside "
        "(værdispring) for a weighty reason by asking again with an override, which is "
        "flagged in the citizen's log.",
    )


class Overview(BaseModel):
    decision_id: str
    decided_at: datetime
    engine: str
    policy_revision: str
    purpose: str
    complete: bool = Field(
        description="True when everything asked is shown: nothing withheld, every source answered."
    )
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
        "withheld_by_block": "The citizen lifts the block on the records' source (a health "
        "professional may override it for a weighty reason, which is flagged in the "
        "citizen's log).",
        "objection": "The person who objected withdraws the objection.",
        "no_legal_basis": "Nothing: no legal route lets this role see this for this purpose.",
        "unknown_role": "A role and organisation type the service knows.",
        "missing_fact": "The facts the decision needs (the CPR register must answer).",
        "engine_error": "Ask again; the policy could not be evaluated.",
        "disclosure_not_recorded": "Ask again; the disclosure could not be recorded.",
    }
    return hints.get(reason.code, reason.message)
