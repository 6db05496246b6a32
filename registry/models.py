"""API shapes of the registry: one model per purpose (create / action / public)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.decision import Category, Identifier, OrganisationType, Purpose
from policy.facts import BlockKind, Capacity
from policy.persons import HANDLE_PATTERN, PersonRef

PersonHandle = Annotated[
    str,
    Field(
        pattern=HANDLE_PATTERN,
        description="A person who decides for the child, by the per-child handle the service "
        "gives them (GET /v1/children/{cpr}/deciders, or a missing_consent reason); never a "
        "CPR number.",
    ),
]
DocumentReference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="The reference of the document the family signed or the record note of "
        "an oral statement (e.g. the consent form's id in the professional's own system).",
    ),
]


class RecordedBy(BaseModel):
    """Who wrote a registry entry: the person themselves with their own citizen
    login, or a professional on the family's behalf (with the document)."""

    kind: Literal["citizen", "professional", "unknown"] = Field(
        description="unknown: written before the service recorded who wrote entries."
    )
    professional_id: str | None = None
    role: str | None = None
    organisation_id: str | None = None
    acting_system: str | None = None
    document_reference: str | None = None

    @property
    def by_professional(self) -> bool:
        return self.kind == "professional"


class OnBehalf(BaseModel):
    """What a professional must add when writing what the family told them."""

    model_config = ConfigDict(extra="forbid")

    on_behalf_of: PersonHandle | None = Field(
        default=None,
        description="Only for a professional recording what the family gave them: whose "
        "decision it is. A citizen records their own and leaves this out.",
    )
    document_reference: DocumentReference | None = Field(
        default=None, description="Required when a professional records on the family's behalf."
    )


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


class ConsentRecipient(Recipient):
    """A consent's recipient: one named organisation or unit (SOR or organisation
    id: the municipality's family department, a PPR unit, a GP clinic, a
    psychiatry department). The organisation type may be given beside it, never
    alone: a consent "to the municipality" as a type would open the data to
    every municipality's staff."""

    @model_validator(mode="after")
    def _organisation_named(self) -> ConsentRecipient:
        if self.organisation_id is None:
            raise ValueError(
                "a consent names the organisation or unit that may see the data "
                "(organisation_id); a kind of organisation alone is refused"
            )
        return self


class ConsentCreate(OnBehalf):
    """A consent. The giver is the bearer token's citizen, or, for a professional
    recording what the family gave them, the person named in `on_behalf_of`."""

    regime: Annotated[
        str,
        Field(
            min_length=1,
            max_length=32,
            description="The paragraph the consent serves (a key of the policy's regimes, "
            "e.g. sul-43-1). GDPR consent is refused: it is not a basis this service uses.",
        ),
    ]
    categories: Annotated[list[Category], Field(min_length=1)]
    recipient: ConsentRecipient
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
    given_by: PersonRef
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
    recorded_by: RecordedBy
    revoked_at: datetime | None
    revoked_by: PersonRef | None
    revocation_recorded_by: RecordedBy | None = None
    superseded_by: str | None
    superseded_at: datetime | None
    status: ConsentStatus
    status_note: str | None = Field(
        default=None, description="Why the status is what it is, when it is not plain."
    )


class Revocation(_Inbound):
    """A revocation. A citizen revokes their own (or, from 15, what was given for
    them). A professional who was told of a revocation reports it: it takes
    effect at once (revoking only narrows access) and is recorded as "reported by
    the professional, stated by" the person in `stated_by`."""

    stated_by: PersonHandle | None = Field(
        default=None, description="Only for a professional: who told them to revoke it."
    )
    document_reference: DocumentReference | None = None


class ObjectionCreate(OnBehalf):
    categories: list[Category] = Field(default_factory=list, description="Empty: every category.")
    recipient: Recipient | None = Field(default=None, description="Unset: every recipient.")


ObjectionStatus = Literal["active", "withdrawn"]


class ObjectionPublic(BaseModel):
    id: str
    child_cpr: str
    given_by: PersonRef
    capacity: Capacity
    categories: list[str]
    recipient: Recipient | None
    recorded_at: datetime
    recorded_by: RecordedBy
    withdrawn_at: datetime | None
    withdrawn_by: PersonRef | None
    status: ObjectionStatus
    status_note: str | None = None


class Withdrawal(_Inbound):
    """Withdrawing an objection: only the person who objected (or the young
    person from 15), with their own citizen token. Nothing to fill in."""


class BlockCreate(_Inbound):
    """A block, set by the young person (15+) or a custody holder with their own
    citizen token; never by a professional."""

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
    given_by: PersonRef | None
    capacity: Capacity | None
    target_kind: str
    target_id: str | None
    include_sub_units: bool
    categories: list[str]
    valid_from: date
    valid_until: date | None
    recorded_at: datetime
    recorded_by: RecordedBy
    lifted_at: datetime | None
    lifted_by: PersonRef | None
    status: BlockStatus


class Lift(_Inbound):
    """Lifting a block: only the person who set it (or the young person from
    15), with their own citizen token. Nothing to fill in."""


class EventPublic(BaseModel):
    entry_kind: Literal["consent", "objection", "block"]
    entry_id: str
    event: str
    at: datetime | None = Field(description="When it was recorded; none for a derived event.")
    on: date
    by: PersonRef | None = Field(default=None, description="The person whose decision it was.")
    recorded_by: RecordedBy | None = None
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


class Deciders(BaseModel):
    """Who decides for the child today, by handle and in words."""

    child_decides: bool
    persons: list[PersonRef]
