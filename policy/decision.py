"""The decision contract: what a PEP asks and what the PDP answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from policy.catalogue import catalogue
from policy.cpr import Cpr

Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")]


def _known_category(value: str) -> str:
    if value not in catalogue().categories:
        known = ", ".join(sorted(catalogue().categories))
        raise ValueError(f"unknown data category {value!r}; known: {known}")
    return value


def _known_purpose(value: str) -> str:
    if value not in catalogue().purposes:
        raise ValueError(f"unknown purpose {value!r}; known: {', '.join(catalogue().purposes)}")
    return value


class _EnumFrom:
    """Documents the names the catalogue knows as a JSON Schema enum, read when the
    schema is generated (so OpenAPI, and the fuzzer, show the real choices)."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self.names = names

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["enum"] = sorted(self.names())
        return schema


Category = Annotated[
    str, AfterValidator(_known_category), _EnumFrom(lambda: catalogue().categories)
]
Purpose = Annotated[str, AfterValidator(_known_purpose), _EnumFrom(lambda: catalogue().purposes)]
OrganisationType = Literal["municipality", "gp_clinic", "region_psychiatry"]
Action = Literal["view"]


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Organisation(_Inbound):
    type: OrganisationType
    id: Identifier


ActingForSource = Literal["request", "token"]


class ActingFor(_Inbound):
    """The clinician a medical secretary looks up for (the secretary acts on their behalf).

    Named in the request, it is only a claim: the policy follows the clinician's
    routes once the staff register shows the clinician, by this id and role, in the
    secretary's own organisation with a valid health-professional authorisation.
    Named by the bearer token's `acting_for` claim, the identity provider vouches for
    it (`asserted_by: token`); the clinician's authorisation still comes from the
    staff register."""

    id: Identifier
    role: Annotated[str, Field(min_length=1, max_length=64)]
    health_professional: bool = Field(
        default=False,
        description="Ignored: whether the clinician is a health professional is read from "
        "the staff register, never from the request.",
    )
    asserted_by: ActingForSource = Field(
        default="request",
        description="Set by the service: `token` when the bearer token's acting_for claim "
        "names the clinician. A request that sets it is refused (403).",
    )


class Subject(_Inbound):
    id: Identifier
    role: Annotated[str, Field(min_length=1, max_length=64)]
    organisation: Organisation
    health_professional: bool = Field(
        default=False,
        description="From the bearer token; counts only when the organisation's staff register "
        "shows a valid health-professional authorisation for this person there.",
    )
    acting_for: ActingFor | None = Field(
        default=None,
        description="Only for a medical secretary: the clinician in the same organisation on "
        "whose behalf the lookup is made, confirmed by the bearer token's acting_for claim or "
        "by the organisation's staff register (else denied, acting_for_unverified). Any other "
        "role that names one is denied.",
    )


MAX_CATEGORIES = 16
"""The most categories one question may name (there are six; repeats are allowed)."""


class Resource(_Inbound):
    child_cpr: Cpr
    categories: Annotated[list[Category], Field(min_length=1, max_length=MAX_CATEGORIES)]


OVERRIDE_GROUNDS = ("citizen_consents", "citizen_unreachable")
OVERRIDE_REASON_MIN_LENGTH = 10


class Override(_Inbound):
    """A health professional's request to set a citizen's block aside (værdispring).
    The weighty reason is mandatory: blank or a few characters is refused.

    The model admits any grounds and any short reason so that the service can audit
    the refused attempt before it answers 422 (`problem()` says what is wrong); the
    schema documents what is valid. An invalid override never reaches the policy as
    valid (engine.inputs sends it without a reason, and the policy refuses it)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"required": ["grounds", "reason"]})

    grounds: Annotated[
        str, Field(max_length=64, json_schema_extra={"enum": list(OVERRIDE_GROUNDS)})
    ] = ""
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=1000),
        Field(json_schema_extra={"minLength": OVERRIDE_REASON_MIN_LENGTH}),
    ] = ""

    def problem(self) -> tuple[str, str] | None:
        """What makes this override request invalid, as (field, message); None if valid."""
        if self.grounds not in OVERRIDE_GROUNDS:
            return "grounds", f"the grounds must be one of {', '.join(OVERRIDE_GROUNDS)}"
        if len(self.reason) < OVERRIDE_REASON_MIN_LENGTH:
            return (
                "reason",
                f"a weighty reason of at least {OVERRIDE_REASON_MIN_LENGTH} characters is needed",
            )
        return None


class Context(_Inbound):
    purpose: Purpose
    time: datetime | None = Field(
        default=None,
        description="When the caller asks. The service decides on its own clock; a time "
        "more than five minutes away from it is refused.",
    )
    case_reference: Annotated[str, Field(max_length=128)] | None = None
    override: Override | None = None


class _Question(_Inbound):
    resource: Resource
    context: Context


class DecisionRequest(_Question):
    """A complete question to the PDP: the subject is known. Besides a lookup, the
    service itself asks about sending a message (policy.sending); no caller can."""

    subject: Subject
    action: Action | Literal["send_correspondence"] = "view"


class DecisionRequestBody(_Question):
    """What a caller of the API sends. The subject comes from the bearer token;
    a subject in the body must match the token's, or be left out."""

    action: Action = "view"

    subject: Subject | None = Field(
        default=None,
        description="Optional: the token's subject is used. If given, it must match the "
        "token (a mismatch is refused with 403).",
    )

    def for_subject(self, subject: Subject) -> DecisionRequest:
        return DecisionRequest(
            subject=subject, action=self.action, resource=self.resource, context=self.context
        )


class MissingPerson(BaseModel):
    """Whose consent is missing: never a CPR number (see policy.persons)."""

    person: str = Field(description="The person's handle for this child (p-...).")
    capacity: Literal["child", "custody_holder"]
    label: str | None = Field(
        default=None, description='In words, e.g. "the custody holder registered as mother".'
    )


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    review: str
    url: str | None = None


class Reason(BaseModel):
    """Why a category was permitted or denied. Extra keys from the policy are kept."""

    model_config = ConfigDict(extra="allow")

    code: str
    rule_id: str
    legal_basis: list[str]
    message: str
    missing: list[MissingPerson | str] | None = None
    citations: list[Citation] = Field(default_factory=list)
    basis_review: Literal["approved", "draft", "unconfirmed", "unknown"] | None = Field(
        default=None,
        description="How sure we are of the law this reason rests on: the weakest review "
        "status among its provisions. Anything but approved still needs a lawyer's sign-off.",
    )


class ReliedOn(BaseModel):
    consents: list[str] = Field(default_factory=list)
    objections: list[str] = Field(default_factory=list)
    blocks: list[str] = Field(default_factory=list)


class CategoryDecision(BaseModel):
    category: str
    decision: Literal["permit", "deny"]
    fields: list[str]
    rule_id: str | None
    legal_basis: list[str]
    reasons: list[Reason]
    relied_on: ReliedOn
    override: bool
    override_possible: bool = Field(
        default=False,
        description="The policy's answer: a block hides this category, or some of its records, "
        "from this requester, and they may set it aside (værdispring) by asking again with an "
        "override. Never a permit.",
    )
    obligations: list[str]
    exclude_organisations: list[str] = Field(
        default_factory=list,
        description="Organisations whose records must be withheld from a permitted category "
        "(for example a psychiatry department the family has blocked). The broker drops them.",
    )


class OverrideAnswer(BaseModel):
    """The policy's answer to a request to set a block aside: whether one was
    asked, whether this requester may, and if not, why. Whether a block was
    actually set aside is each category's `override`."""

    requested: bool = False
    allowed: bool = False
    refusal: str | None = None


class Decision(BaseModel):
    decision_id: str
    decided_at: datetime
    engine: str
    policy_revision: str
    categories: dict[str, CategoryDecision]
    relied_on: ReliedOn
    override: OverrideAnswer = Field(default_factory=OverrideAnswer)
    facts_read_at: datetime | None = Field(
        default=None,
        description="When the oldest source fact this decision used (the CPR record, "
        "relation evidence, staff register) was read, if the decision reused one read "
        "for an earlier decision within its lifetime (policy data `fact_lifetimes`); "
        "null when every fact was read for this decision.",
    )

    @property
    def permitted(self) -> bool:
        """True when every asked category is permitted."""
        return all(c.decision == "permit" for c in self.categories.values())


def relied_on_union(categories: dict[str, CategoryDecision]) -> ReliedOn:
    """All consent, objection and block ids any category relied on."""
    return ReliedOn(
        consents=sorted({i for c in categories.values() for i in c.relied_on.consents}),
        objections=sorted({i for c in categories.values() for i in c.relied_on.objections}),
        blocks=sorted({i for c in categories.values() for i in c.relied_on.blocks}),
    )


JsonObject = dict[str, Any]
