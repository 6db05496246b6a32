"""The child overview: decide, fetch only what is permitted, show what was withheld."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api import examples
from api.deps import ProfessionalCaller, ServicesDep, TraceIdDep
from api.errors import AUTHENTICATED, problem_responses
from api.routes.decisions import client_address, decide_audited
from audit.log import AuditLog
from audit.models import SourceCall
from broker.disclosure import Disclosure
from broker.models import Overview
from policy.cpr import Cpr
from policy.decision import (
    MAX_CATEGORIES,
    Category,
    Context,
    DecisionRequest,
    Purpose,
    Resource,
)

router = APIRouter(prefix="/v1/children/{cpr}", tags=["overview"])


class AuditedDisclosures:
    """The broker's disclosure recorder for one request: the audit log's disclosure
    record, committed before the overview leaves. If the audit log refuses (the
    decision was not audited, or more than it permitted would leave) or cannot
    write, the broker withholds everything."""

    def __init__(self, audit: AuditLog, trace_id: str) -> None:
        self.audit = audit
        self.trace_id = trace_id

    async def record(self, disclosure: Disclosure) -> None:
        await self.audit.record_disclosure(
            disclosure.decision_id,
            {c.category: c.released for c in disclosure.categories},
            [
                SourceCall(source=c.source, status=c.status, duration_us=c.duration_us)
                for c in disclosure.source_calls
            ],
            trace_id=self.trace_id,
        )


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
    trace_id: TraceIdDep,
    http: Request,
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
    disclosure, answer. A source that fails or is slow is marked, never an error."""
    broker = services.broker
    request = DecisionRequest(
        subject=caller.subject(),
        action="view",
        resource=Resource(child_cpr=cpr, categories=categories or broker.registry.categories()),
        context=Context(purpose=purpose, case_reference=case_reference),
    )
    decision = await decide_audited(
        services.pdp,
        services.audit,
        request,
        caller,
        trace_id=trace_id,
        client_address=client_address(http),
    )
    return await broker.overview(
        request, decision, recorder=AuditedDisclosures(services.audit, trace_id)
    )
