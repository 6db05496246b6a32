"""The child overview: decide, fetch only what is permitted, show what was withheld."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import ServicesDep
from broker.models import Overview
from policy.cpr import Cpr
from policy.decision import (
    Category,
    Context,
    DecisionRequest,
    Organisation,
    OrganisationType,
    Purpose,
    Resource,
    Subject,
)

router = APIRouter(prefix="/v1/children/{cpr}", tags=["overview"])

_ID = r"^[A-Za-z0-9._:@\-]+$"


def provisional_subject(
    role: Annotated[str, Query(min_length=1, max_length=64)],
    organisation_type: Annotated[OrganisationType, Query()],
    organisation_id: Annotated[str, Query(min_length=1, max_length=128, pattern=_ID)],
    subject_id: Annotated[str, Query(min_length=1, max_length=128, pattern=_ID)],
    health_professional: Annotated[bool, Query()] = False,
) -> Subject:
    """PROVISIONAL, until authentication lands (issue 7): the requester is taken from
    query parameters, exactly the `subject` of POST /v1/decisions. Nothing checks
    them yet. Authentication replaces this one dependency with the subject from
    the caller's token; the route does not change."""
    return Subject(
        id=subject_id,
        role=role,
        organisation=Organisation(type=organisation_type, id=organisation_id),
        health_professional=health_professional,
    )


ProvisionalSubjectDep = Annotated[Subject, Depends(provisional_subject)]


@router.get(
    "/overview",
    operation_id="getChildOverview",
    response_model=Overview,
    summary="What this requester may see about the child, and what is withheld and why",
)
async def child_overview(
    cpr: Cpr,
    purpose: Annotated[Purpose, Query()],
    subject: ProvisionalSubjectDep,
    services: ServicesDep,
    case_reference: Annotated[str | None, Query(max_length=128)] = None,
    categories: Annotated[
        list[Category] | None,
        Query(description="The categories to ask for; unset: every category a source serves."),
    ] = None,
) -> Overview:
    broker = services.broker
    asked = categories or broker.registry.categories()
    request = DecisionRequest(
        subject=subject,
        action="view",
        resource=Resource(child_cpr=cpr, categories=asked),
        context=Context(purpose=purpose, case_reference=case_reference),
    )
    decision = await services.pdp.decide(request)
    return await broker.overview(request, decision)
