"""The audit record and the API shapes built from it (one model per purpose)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from policy.decision import ReliedOn

RecordKind = Literal[
    "decision",
    "disclosure",
    "registry_read",
    "registry_write",
    "override_attempt",
    "evaluation_read",
]
Outcome = Literal["permit", "deny", "partial", "disclosed", "recorded"]
CallStatus = Literal["ok", "error", "timeout", "not_found"]


class SourceCall(BaseModel):
    """One call to a source (a fact source at decision time, a data source at
    disclosure). Durations are whole microseconds: records hold no floats, so
    their canonical JSON is the same in every language (RFC 8785)."""

    model_config = ConfigDict(frozen=True)

    source: str
    status: CallStatus
    duration_us: int = Field(ge=0)
    records: int | None = Field(default=None, ge=0)
    """A data source's call at disclosure: how many records it answered with."""
    withheld: int | None = Field(default=None, ge=0)
    """Of those, how many were not shown because a block of the family's excludes
    their organisation (a count only, never which)."""

    @model_serializer(mode="wrap")
    def _without_absent_counts(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        for name in ("records", "withheld"):
            if body.get(name) is None:
                body.pop(name, None)
        return body


class Requester(BaseModel):
    id: str
    role: str
    organisation_type: str
    organisation_id: str
    health_professional: bool
    acting_system: str | None = None
    """The system that called on the professional's behalf (the municipal view, the
    GP system, the EPJ), from the token's `act` claim; None when they called directly."""


class ReasonRecord(BaseModel):
    code: str
    rule_id: str
    legal_basis: list[str]
    message: str
    missing: list[dict[str, str] | str] | None = None
    days_outside_window: int | None = Field(default=None, ge=1)
    """On a GP's `no_relation` deny: how many whole days the lookup fell outside the
    nearest consultation's window (rego/hoi/relation, the simultaneity barrier
    measured); absent otherwise, and left out of the record's JSON when absent so
    that every other reason is written as before."""

    @model_serializer(mode="wrap")
    def _without_absent_measure(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        if self.days_outside_window is None:
            body.pop("days_outside_window", None)
        return body


class CategoryOutcome(BaseModel):
    decision: Literal["permit", "deny"]
    fields: list[str]
    rule_id: str | None
    legal_basis: list[str]
    reasons: list[ReasonRecord]
    relied_on: ReliedOn
    override: bool
    obligations: list[str]
    exclude_organisations: list[str] = Field(default_factory=list)


class RegistryRecord(BaseModel):
    """A read of, or a write to, the child's consents, objections and blocks.
    People are named by their per-child handle and capacity, never by number."""

    action: str
    """registry.read, consent.record, consent.revoke, objection.record,
    objection.withdraw, block.record or block.lift."""
    entry_kind: str | None = None
    entry_id: str | None = None
    person: dict[str, str] | None = None
    """Whose decision it is (handle, capacity, label): the person who wrote it, or
    on whose behalf a professional wrote it."""
    recorded_by: dict[str, str] | None = None
    """registry.models.RecordedBy: the citizen themselves, or the professional."""
    summary: dict[str, str | list[str] | dict[str, str]] = Field(default_factory=dict)
    reasons: list[ReasonRecord] = Field(default_factory=list)


class CorrespondenceRecord(BaseModel):
    """A message sent (or refused) about the child: to whom, on what topic, with
    how many attachments. Never its text or its attachments."""

    message_id: str
    topic: str
    recipient_organisation_id: str
    attachments: int = 0
    activity: str = "new"
    """new, reply or forward."""


class OverrideRecord(BaseModel):
    """A request to set a citizen's block aside (værdispring), allowed or refused."""

    requested: bool
    used: bool
    """A block was actually set aside for at least one category."""
    grounds: str | None = None
    reason: str | None = None
    refused: bool = False
    """The request was refused: by the policy (not this requester, no grounds or reason)
    or by request validation (an `override_attempt` record, answered 422)."""
    refusal: str | None = None
    """Why it was refused, in words."""


class EvaluationRecord(BaseModel):
    """A read of the pilot's evaluation (kind evaluation_read): which period, and
    what was shown. The evaluation names no child, so the record has none."""

    period_start: date
    period_end: date
    view: Literal["page", "table", "chart", "report"]
    """The auditor's page, one table as CSV, one chart as SVG, or the whole
    report written by `hoi evaluation report`."""
    name: str | None = None
    """The table's or chart's name, for "table" and "chart"."""


class AuditRecord(BaseModel):
    """What one audit record says. Its canonical JSON is what the chain hashes.

    A `decision` record holds the per-category outcome and, in `released`, the
    fields the decision permits. A `disclosure` record holds, in `released`,
    the fields that actually left the service, and the data-source calls made.
    """

    version: Literal[1] = 1
    kind: RecordKind
    decision_id: str
    recorded_at: datetime
    decided_at: datetime
    trace_id: str
    requester: Requester
    client_address: str | None = None
    child_cpr: str
    purpose: str
    action: str
    case_reference: str | None = None
    categories_asked: list[str]
    outcome: Outcome
    categories: dict[str, CategoryOutcome] = Field(default_factory=dict)
    released: dict[str, list[str]] = Field(default_factory=dict)
    relied_on: ReliedOn = Field(default_factory=ReliedOn)
    override: OverrideRecord
    policy_revision: str
    engine: str
    source_calls: list[SourceCall] = Field(default_factory=list)
    facts_read_at: datetime | None = None
    """When the oldest source fact the decision reused was read (facts/cache); the
    sources it called for this decision are in source_calls."""
    registry: RegistryRecord | None = None
    """For registry_read and registry_write records: what was read or written."""
    correspondence: CorrespondenceRecord | None = None
    """For the decision on sending a message and its disclosure: what was sent to whom."""
    evaluation: EvaluationRecord | None = None
    """For evaluation_read records: the period read and what was shown."""


class Receipt(BaseModel):
    """Proof that a record is committed: its place in the chain."""

    seq: int
    hash: str


class StoredRecord(BaseModel):
    """A record as an auditor sees it: the content and its chain link."""

    seq: int
    hash: str
    prev_hash: str
    record: AuditRecord


class AuditPage(BaseModel):
    records: list[StoredRecord]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next (older) page."
    )


class AccessLogCategory(BaseModel):
    category: str
    label: str
    outcome: Literal["permit", "deny"]
    rule_id: str | None = Field(
        default=None, description="The rule that decided (a permit's legal route, or the deny)."
    )


class AccessLogEntry(BaseModel):
    """One lookup about the child, as the family sees it."""

    when: datetime
    decision_id: str
    role: str
    role_label: str
    organisation_id: str
    organisation_name: str
    employee_id: str | None = Field(
        default=None, description="Shown only where the service is configured to show it."
    )
    purpose: str
    categories: list[AccessLogCategory]
    released_categories: list[str] = Field(
        default_factory=list, description="Categories whose data actually left the service."
    )
    override: bool
    override_reason: str | None = None
    override_requested: bool = Field(
        default=False,
        description="Flag: someone asked to set the family's block aside (værdispring), "
        "whether or not it was allowed.",
    )
    override_refused: bool = Field(
        default=False, description="Flag: the request to set a block aside was refused."
    )
    override_refusal: str | None = Field(default=None, description="Why it was refused.")
    kind: Literal[
        "lookup", "registry_read", "registry_write", "override_attempt", "correspondence"
    ] = "lookup"
    registry_action: str | None = Field(
        default=None, description="For registry entries: what was read or written."
    )
    summary: str | None = Field(
        default=None,
        description='For registry entries, in words: "Consent to 851-family recorded by a '
        "Municipal caseworker (family department) on behalf of the custody holder "
        'registered as mother".',
    )


class AccessLog(BaseModel):
    entries: list[AccessLogEntry]
    next_cursor: str | None = None


class BrokenLink(BaseModel):
    seq: int
    problem: str


class VerifyReport(BaseModel):
    ok: bool
    records_checked: int
    first_seq: int | None
    last_seq: int | None
    checkpoints: int
    first_broken: BrokenLink | None = None


class PurgeReport(BaseModel):
    cutoff: datetime
    purged: int
    through_seq: int | None
    checkpoint_id: int | None
    dry_run: bool = False
    dropped_partitions: list[str] = []
    """The monthly partitions dropped whole (PostgreSQL), oldest first."""
