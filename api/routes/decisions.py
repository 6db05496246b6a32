"""The native decision API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from api import examples
from api.deps import DecisionsDep, OriginDep, ProfessionalCaller
from api.errors import WITH_BODY, problem_responses
from policy.decision import Decision, DecisionRequestBody

router = APIRouter(prefix="/v1", tags=["decisions"])


@router.post(
    "/decisions",
    operation_id="createDecision",
    response_model=Decision,
    responses=problem_responses(*WITH_BODY),
)
async def create_decision(
    body: Annotated[DecisionRequestBody, Body(openapi_examples=examples.DECISION)],
    caller: ProfessionalCaller,
    decisions: DecisionsDep,
    origin: OriginDep,
) -> Decision:
    """May this person see these categories about this child, for this purpose?

    The subject is the bearer token's professional; a subject in the body must match
    it in every field it gives (403 otherwise). The answer is sent only after its
    audit record is committed."""
    request = body.for_subject(caller.confirm(body.subject))
    decisions.check_time(request)
    return await decisions.decide(request, origin)
