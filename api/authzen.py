"""The AuthZEN Authorization API 1.0, mapped onto our decision.

- `subject` `{type: "user", id, properties: {role, organisation, health_professional}}`
  is the decision subject. It must be the bearer token's professional; properties
  may be left out, and each one given must match the token.
- `resource` `{type: "child", id: <CPR>, properties: {categories: [...]}}` (or one
  `category`) is the child and the data categories asked.
- `action` `{name: "view"}`.
- `context` `{purpose, time, case_reference, override}` is our context; other keys
  are ignored.
- The answer's `decision` is true only when every asked category is permitted.
- The answer's `context`: `id` (our decision id), `reason_admin` (per category: the
  rule and legal-basis ids, reasons with citations, obligations, permitted fields;
  and all obligations), `reason_user` (plain sentences).

The answer's `context` has the shape of the AuthZEN 1.0-01 response schema
(`id`, `reason_admin`, `reason_user` and nothing else), so it validates against
that schema as it stands; tests/api/test_authzen_schemas.py explains the later
drafts' schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.errors import status_of
from policy.caller import SUBJECT_FIELDS, Caller
from policy.decision import (
    Context,
    Decision,
    DecisionRequest,
    Reason,
    Resource,
    Subject,
)
from policy.errors import HoiError, InvalidRequest

SUBJECT_TYPE = "user"
RESOURCE_TYPE = "child"
ACTIONS = ("view",)
Semantic = Literal["execute_all", "deny_on_first_deny", "permit_on_first_permit"]


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AzSubject(_Inbound):
    type: str = Field(description=f'"{SUBJECT_TYPE}"')
    id: str = Field(description="The professional's id; must be the bearer token's subject.")
    properties: dict[str, Any] | None = Field(
        default=None,
        description="Optional `role`, `organisation` {type, id}, `health_professional`; "
        "each one given must match the token. A medical secretary adds `acting_for`.",
    )


class AzResource(_Inbound):
    type: str = Field(description=f'"{RESOURCE_TYPE}"')
    id: str = Field(description="The child's CPR number.")
    properties: dict[str, Any] | None = Field(
        default=None, description="`categories`: the data categories asked (or one `category`)."
    )


class AzAction(_Inbound):
    name: str = Field(description='"view"')
    properties: dict[str, Any] | None = None


class EvaluationRequest(_Inbound):
    """One access question (AuthZEN section 6)."""

    subject: AzSubject
    resource: AzResource
    action: AzAction
    context: dict[str, Any] | None = Field(
        default=None,
        description="`purpose` (required by us), `time`, `case_reference`, `override`.",
    )


class EvaluationItem(_Inbound):
    """One question of a batch; what it leaves out comes from the batch's defaults."""

    subject: AzSubject | None = None
    resource: AzResource | None = None
    action: AzAction | None = None
    context: dict[str, Any] | None = None


class EvaluationsOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    evaluations_semantic: Semantic = "execute_all"


class EvaluationsRequest(_Inbound):
    """Many questions in one call (AuthZEN section 7). Top-level subject, resource,
    action and context are defaults each evaluation may replace."""

    subject: AzSubject | None = None
    resource: AzResource | None = None
    action: AzAction | None = None
    context: dict[str, Any] | None = None
    evaluations: list[EvaluationItem]
    options: EvaluationsOptions | None = None


class CategoryOutcome(BaseModel):
    decision: Literal["permit", "deny"]
    fields: list[str]
    rule_id: str | None
    legal_basis: list[str]
    reasons: list[Reason]
    obligations: list[str]
    exclude_organisations: list[str]


class DecisionDetail(BaseModel):
    """Everything the PEP needs to enforce and explain the decision."""

    decision_id: str
    decided_at: datetime
    engine: str
    policy_revision: str
    categories: dict[str, CategoryOutcome]
    obligations: list[str] = Field(
        description="What the PEP must do when it shows anything: every permitted "
        "category's obligations."
    )


class EvaluationErrorDetail(BaseModel):
    status: int
    message: str
    field: str | None = None


class ErrorDetail(BaseModel):
    """Why one evaluation of a batch could not be decided (it is a deny)."""

    error: EvaluationErrorDetail


class EvaluationContext(BaseModel):
    id: str = Field(description="Our decision id (or `error-<n>` for an evaluation in error).")
    reason_admin: DecisionDetail | ErrorDetail
    reason_user: dict[str, str] = Field(description='Plain sentences by language tag ("en").')


class EvaluationResponse(BaseModel):
    decision: bool
    context: EvaluationContext


class EvaluationsResponse(BaseModel):
    evaluations: list[EvaluationResponse]


class AuthZenConfiguration(BaseModel):
    """PDP metadata (AuthZEN section 9)."""

    policy_decision_point: str
    access_evaluation_endpoint: str
    access_evaluations_endpoint: str


def _loc(error: dict[str, Any], prefix: str) -> str:
    parts = [str(p) for p in error["loc"]]
    return ".".join([prefix, *parts]) if parts else prefix


def _invalid(exc: ValidationError, prefix: str) -> InvalidRequest:
    first = exc.errors()[0]
    field = _loc(dict(first), prefix)
    return InvalidRequest(f"{field}: {first['msg']}", field=field)


def claimed_subject(subject: AzSubject, prefix: str = "subject") -> dict[str, Any]:
    """The subject fields an AuthZEN subject gives, in our names."""
    if subject.type != SUBJECT_TYPE:
        raise InvalidRequest(
            f'the subject type must be "{SUBJECT_TYPE}" (a professional)', field=f"{prefix}.type"
        )
    properties = subject.properties or {}
    given = ("acting_for", *SUBJECT_FIELDS)
    return {"id": subject.id, **{k: properties[k] for k in given if k in properties}}


def to_resource(resource: AzResource, prefix: str = "resource") -> Resource:
    if resource.type != RESOURCE_TYPE:
        raise InvalidRequest(
            f'the resource type must be "{RESOURCE_TYPE}" with the CPR number as id',
            field=f"{prefix}.type",
        )
    properties = resource.properties or {}
    if "categories" in properties:
        categories = properties["categories"]
    elif "category" in properties:
        categories = [properties["category"]]
    else:
        raise InvalidRequest(
            "name the data categories asked in resource.properties.categories",
            field=f"{prefix}.properties.categories",
        )
    try:
        return Resource(child_cpr=resource.id, categories=categories)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "id" if first["loc"][:1] == ("child_cpr",) else "properties.categories"
        field = f"{prefix}.{where}"
        raise InvalidRequest(f"{field}: {first['msg']}", field=field) from exc


def to_context(context: dict[str, Any] | None, prefix: str = "context") -> Context:
    given = context or {}
    known = {k: v for k, v in given.items() if k in Context.model_fields}
    try:
        return Context.model_validate(known)
    except ValidationError as exc:
        raise _invalid(exc, prefix) from exc


def check_action(action: AzAction, prefix: str = "action") -> None:
    if action.name not in ACTIONS:
        raise InvalidRequest(
            f"the action name must be one of {', '.join(ACTIONS)}", field=f"{prefix}.name"
        )


def to_decision_request(
    caller: Caller,
    subject: AzSubject,
    resource: AzResource,
    action: AzAction,
    context: dict[str, Any] | None,
    *,
    prefix: str = "",
) -> DecisionRequest:
    """Our question for one AuthZEN evaluation; raises InvalidRequest or Forbidden."""
    confirmed: Subject = caller.confirm(claimed_subject(subject, f"{prefix}subject"))
    check_action(action, f"{prefix}action")
    return DecisionRequest(
        subject=confirmed,
        action="view",
        resource=to_resource(resource, f"{prefix}resource"),
        context=to_context(context, f"{prefix}context"),
    )


def _sentence(category: str, outcome: CategoryOutcome) -> str:
    if outcome.decision == "permit":
        return f"{category}: permitted ({outcome.rule_id})."
    messages = " ".join(r.message for r in outcome.reasons) or "denied."
    return f"{category}: denied. {messages}"


def evaluation_response(decision: Decision) -> EvaluationResponse:
    categories = {
        name: CategoryOutcome(
            decision=c.decision,
            fields=c.fields,
            rule_id=c.rule_id,
            legal_basis=c.legal_basis,
            reasons=c.reasons,
            obligations=c.obligations,
            exclude_organisations=c.exclude_organisations,
        )
        for name, c in decision.categories.items()
    }
    obligations = sorted(
        {o for c in categories.values() if c.decision == "permit" for o in c.obligations}
    )
    detail = DecisionDetail(
        decision_id=decision.decision_id,
        decided_at=decision.decided_at,
        engine=decision.engine,
        policy_revision=decision.policy_revision,
        categories=categories,
        obligations=obligations,
    )
    user = " ".join(_sentence(name, c) for name, c in categories.items())
    return EvaluationResponse(
        decision=decision.permitted,
        context=EvaluationContext(
            id=decision.decision_id, reason_admin=detail, reason_user={"en": user}
        ),
    )


def error_response(index: int, exc: HoiError) -> EvaluationResponse:
    """One evaluation that could not be decided: a deny that says why."""
    return EvaluationResponse(
        decision=False,
        context=EvaluationContext(
            id=f"error-{index}",
            reason_admin=ErrorDetail(
                error=EvaluationErrorDetail(
                    status=status_of(exc), message=exc.detail, field=exc.field
                )
            ),
            reason_user={"en": f"Not decided, so denied: {exc.detail}"},
        ),
    )


def stops_after(semantic: Semantic, permitted: bool) -> bool:
    """Whether a batch stops after an evaluation with this outcome."""
    if semantic == "deny_on_first_deny":
        return not permitted
    if semantic == "permit_on_first_permit":
        return permitted
    return False
