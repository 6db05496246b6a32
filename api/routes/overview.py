"""The child overview: decide, fetch only what is permitted, show what was withheld."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import ServicesDep, TraceIdDep
from audit.calls import start_recording
from audit.log import AuditLog
from audit.models import SourceCall
from broker.disclosure import Disclosure
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
    summary="What this requester may see about the child, and what is withheld and why",
)
async def child_overview(
    cpr: Cpr,
    purpose: Annotated[Purpose, Query()],
    subject: ProvisionalSubjectDep,
    services: ServicesDep,
    trace_id: TraceIdDep,
    http: Request,
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
    calls = start_recording()
    decision = await services.pdp.decide(request)
    # the decision is audited (durably) before anything is fetched
    await services.audit.record_decision(
        request,
        decision,
        trace_id=trace_id,
        source_calls=calls,
        client_address=http.client.host if http.client else None,
    )
    return await broker.overview(
        request, decision, recorder=AuditedDisclosures(services.audit, trace_id)
    )
