"""The child overview: decide, fetch only what is permitted, show what was withheld."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api import examples
from api.deps import OriginDep, ProfessionalCaller, ServicesDep
from api.errors import AUTHENTICATED, problem_responses
from api.services import Services
from broker.models import Overview
from decisions import Origin
from decisions import overview as overviews
from policy.caller import Caller
from policy.cpr import Cpr
from policy.decision import MAX_CATEGORIES, Category, Override, Purpose

router = APIRouter(prefix="/v1/children/{cpr}", tags=["overview"])


class OverviewRequest(BaseModel):
    """The overview asked with a body: as the GET's query, plus an override."""

    model_config = ConfigDict(extra="forbid")

    purpose: Purpose
    case_reference: Annotated[str, Field(max_length=128)] | None = None
    categories: Annotated[list[Category], Field(min_length=1, max_length=MAX_CATEGORIES)] | None = (
        Field(
            default=None,
            description="The categories to ask for; unset: every category a source serves.",
        )
    )
    override: Override | None = Field(
        default=None,
        description="A health professional sets the family's block aside (værdispring) for a "
        "weighty reason, where the overview said `override_possible`. Every attempt, allowed "
        "or refused, is audited and flagged in the citizen's log.",
    )


def _override_field(name: str) -> str:
    return f"override.{name}"


@router.get(
    "/overview",
    operation_id="getChildOverview",
    response_model=Overview,
    responses=problem_responses(*AUTHENTICATED, 404, 422),
    summary="What the caller may see about the child, and what is withheld and why",
)
async def child_overview(
    cpr: Annotated[Cpr, Path(openapi_examples=examples.CHILD)],
    purpose: Annotated[Purpose, Query()],
    caller: ProfessionalCaller,
    services: ServicesDep,
    origin: OriginDep,
    case_reference: Annotated[str | None, Query(max_length=128)] = None,
    categories: Annotated[
        list[Category] | None,
        Query(
            max_length=MAX_CATEGORIES,
            description="The categories to ask for; unset: every category a source serves.",
        ),
    ] = None,
) -> Overview:
    """Decide for the bearer token's professional, audit the decision, fetch only the
    permitted categories from their sources, keep only the permitted fields, audit the
    disclosure, answer. A source that fails or is slow is marked, never an error.

    What a block withholds is in `withheld`, flagged `withheld_by_block`, without
    saying from where or how much; `override_possible` is the policy's answer on
    whether this requester may set it aside (with the POST form of this request)."""
    asked = OverviewRequest.model_construct(  # the query is validated already
        purpose=purpose, case_reference=case_reference, categories=categories, override=None
    )
    return await _overview(cpr, asked, caller, services, origin)


@router.post(
    "/overview",
    operation_id="postChildOverview",
    response_model=Overview,
    responses=problem_responses(*AUTHENTICATED, 404, 413, 415, 422),
    summary="The overview asked with a body, which may set the family's block aside",
)
async def child_overview_with_body(
    cpr: Annotated[Cpr, Path(openapi_examples=examples.CHILD)],
    body: Annotated[OverviewRequest, Body()],
    caller: ProfessionalCaller,
    services: ServicesDep,
    origin: OriginDep,
) -> Overview:
    """As GET, with the question in the body so that an override's reason never
    travels in a URL. An override with invalid grounds or a reason under 10
    characters is refused (422 naming `override.reason`) after its audit record is
    committed; an override the policy refuses is audited with the decision."""
    return await _overview(cpr, body, caller, services, origin)


async def _overview(
    cpr: str,
    asked: OverviewRequest,
    caller: Caller,
    services: Services,
    origin: Origin,
) -> Overview:
    return await overviews.child_overview(
        cpr,
        caller,
        origin,
        services,
        purpose=asked.purpose,
        case_reference=asked.case_reference,
        categories=asked.categories,
        override=asked.override,
        field_of=_override_field,
    )
