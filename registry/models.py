"""API shapes of the registry: one model per purpose (create / action / public)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.cpr import Cpr
from policy.decision import Category, Identifier, OrganisationType, Purpose
from policy.facts import BlockKind, Capacity


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recipient(_Inbound):
    """Who may receive or look up: an organisation type, or one named organisation."""

    organisation_type: OrganisationType | None = None
    organisation_id: Identifier | None = None

    @model_validator(mode="after")
    def _one_named(self) -> Recipient:
        if self.organisation_type is None and self.organisation_id is None:
            raise ValueError("name an organisation_type or an organisation_id")
        return self


class ConsentCreate(_Inbound):
    regime: Annotated[
        str,
        Field(
            min_length=1,
            max_length=32,
            description="The paragraph the consent serves (a key of the policy's regimes, "
            "e.g. sul-43-1). GDPR consent is refused: it is not a basis this service uses.",
        ),
    ]
    given_by: Cpr
    categories: Annotated[list[Category], Field(min_length=1)]
    recipient: Recipient
    purposes: list[Purpose] = Field(
        default_factory=list, description="Empty: any purpose the legal route allows."
    )
    form: Literal["written", "oral"]
    given_on: date = Field(description="The day the consent was given; not in the future.")
    valid_until: date | None = Field(
        default=None,
        description="The last day the giver named. The regime caps it (Sundhedsloven § 44: "
        "a § 43 consent lapses after at most one year); unset means the cap.",
    )
    custodian: Identifier | None = Field(
        default=None,
        description="The organisation that took the consent and keeps the record of it.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> ConsentCreate:
        if self.valid_until is not None and self.valid_until < self.given_on:
            raise ValueError("valid_until is before given_on")
        return self


ConsentStatus = Literal["active", "expired", "revoked", "superseded"]


class SourceIdentifier(BaseModel):
    system: str | None = None
    value: str


class ConsentPublic(BaseModel):
    id: str
    child_cpr: str
    regime: str
    given_by: str
    capacity: Capacity
    categories: list[str]
    recipient: Recipient
    purposes: list[str]
    form: str
    given_on: date
    valid_until: date
    valid_until_requested: date | None
    expiry_capped: bool = Field(
        description="True when the regime's maximum validity cut the end the giver named."
    )
    custodian: str | None
    source: str
    source_identifiers: list[SourceIdentifier]
    recorded_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    superseded_by: str | None
    superseded_at: datetime | None
    status: ConsentStatus
    status_note: str | None = Field(
        default=None, description="Why the status is what it is, when it is not plain."
    )


class Revocation(_Inbound):
    revoked_by: Cpr = Field(
        description="Who revokes: the giver, or the young person once they decide alone."
    )


class ObjectionCreate(_Inbound):
    given_by: Cpr
    categories: list[Category] = Field(default_factory=list, description="Empty: every category.")
    recipient: Recipient | None = Field(default=None, description="Unset: every recipient.")


ObjectionStatus = Literal["active", "withdrawn"]


class ObjectionPublic(BaseModel):
    id: str
    child_cpr: str
    given_by: str
    capacity: Capacity
    categories: list[str]
    recipient: Recipient | None
    recorded_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    status: ObjectionStatus
    status_note: str | None = None


class Withdrawal(_Inbound):
    withdrawn_by: Cpr = Field(description="Who withdraws: the person who objected.")


class BlockCreate(_Inbound):
    given_by: Cpr = Field(description="The young person (15+) or a custody holder.")
    target_kind: BlockKind = Field(
        description="professional: a named professional sees nothing; organisation: "
        "requesters acting for it (and, with include_sub_units, its sub-units) see nothing; "
        "source_organisation: records from it (and its sub-units) are withheld from everyone "
        "while the rest stays visible; period: everyone is blocked while the block is in force."
    )
    target_id: Identifier | None = Field(
        default=None, description="The professional or organisation; none for a period block."
    )
    include_sub_units: bool = False
    categories: list[Category] = Field(default_factory=list, description="Empty: every category.")
    valid_from: date
    valid_until: date | None = Field(default=None, description="Unset: until lifted.")

    @model_validator(mode="after")
    def _consistent(self) -> BlockCreate:
        if self.target_kind == "period":
            if self.target_id is not None:
                raise ValueError("a period block names no target_id")
            if self.valid_until is None:
                raise ValueError("a period block needs valid_until (the end of the period)")
        elif self.target_id is None:
            raise ValueError(f"a {self.target_kind} block needs target_id")
        if self.include_sub_units and self.target_kind not in (
            "organisation",
            "source_organisation",
        ):
            raise ValueError("include_sub_units applies to organisation blocks only")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


BlockStatus = Literal["active", "scheduled", "expired", "lifted"]


class BlockPublic(BaseModel):
    id: str
    child_cpr: str
    given_by: str | None
    capacity: Capacity | None
    target_kind: str
    target_id: str | None
    include_sub_units: bool
    categories: list[str]
    valid_from: date
    valid_until: date | None
    recorded_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    status: BlockStatus


class Lift(_Inbound):
    lifted_by: Cpr = Field(description="Who lifts: the person who asked for the block.")


class EventPublic(BaseModel):
    entry_kind: Literal["consent", "objection", "block"]
    entry_id: str
    event: str
    at: datetime | None = Field(description="When it was recorded; none for a derived event.")
    on: date
    by: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    derived: bool = Field(
        default=False,
        description="True for events that happen by the passing of time (expiry, the child "
        "turning 15): derived from the stored dates, never written.",
    )


class ConsentImport(BaseModel):
    """The consent recorded from a FHIR resource, and what the import noted."""

    consent: ConsentPublic
    notes: list[str]
