"""The audit trail: the citizen's access log and the auditor's queries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import AuditorDep, CitizenDep, ServicesDep
from api.errors import problem_responses
from audit.access import access_log, may_read_access_log
from audit.chain import Signer
from audit.fhir import audit_bundle
from audit.models import (
    AccessLog,
    AuditPage,
    Outcome,
    RecordKind,
    StoredRecord,
    VerifyReport,
)
from audit.query import Cursor, records_of_decision, search
from audit.verify import verify
from policy.cpr import Cpr
from policy.decision import Identifier
from policy.errors import Forbidden, InvalidRequest, NotFound

# Every route takes a path or query parameter: an invalid one is a 422 problem.
citizen_router = APIRouter(
    prefix="/v1/citizens/{cpr}", tags=["citizen"], responses=problem_responses(422)
)
auditor_router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=problem_responses(422))

PageSize = Annotated[int, Query(ge=1, le=500)]


def _cursor(cursor: str | None) -> Cursor | None:
    return Cursor.decode(cursor) if cursor else None


@citizen_router.get("/access-log", operation_id="readAccessLog")
async def read_access_log(
    cpr: Cpr,
    caller: CitizenDep,
    services: ServicesDep,
    limit: PageSize = 50,
    cursor: str | None = None,
) -> AccessLog:
    """Who looked up this child (or young person): when, in which role and
    organisation, for what purpose, which categories, and whether an override
    was used. A young person from 15 reads their own log; a custody holder reads
    the log of a child under 15."""
    child = await services.facts.child(cpr)
    today = services.clock().date()
    if child is None or not may_read_access_log(caller.cpr, child, today):
        # The same answer for an unknown number: no oracle for who exists.
        raise Forbidden("you may not read this person's access log", field="cpr")
    return await run_in_threadpool(
        access_log,
        services.db,
        child.cpr,
        organisation_name=services.organisation_name,
        show_employee=services.settings.audit_log_shows_employee,
        limit=limit,
        cursor=_cursor(cursor),
    )


@auditor_router.get("", operation_id="searchAudit")
async def search_audit(
    _: AuditorDep,
    services: ServicesDep,
    child_cpr: Cpr | None = None,
    requester_id: Identifier | None = None,
    organisation_id: Identifier | None = None,
    outcome: Outcome | None = None,
    kind: RecordKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: PageSize = 50,
    cursor: str | None = None,
) -> AuditPage:
    """Audit records matching every given filter, newest first, a page at a time.
    Times need a UTC offset; `since` is inclusive, `until` exclusive."""
    for name, moment in (("since", since), ("until", until)):
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise InvalidRequest("give the time with a UTC offset", field=name)
        try:
            moment.astimezone(UTC)
        except OverflowError as exc:
            raise InvalidRequest("the time lies outside the calendar in UTC", field=name) from exc
    filters: dict[str, Any] = {
        "child_cpr": child_cpr,
        "requester_id": requester_id,
        "organisation_id": organisation_id,
        "outcome": outcome,
        "kind": kind,
        "since": since,
        "until": until,
    }
    return await run_in_threadpool(
        search, services.db, limit=limit, cursor=_cursor(cursor), **filters
    )


@auditor_router.get("/verify", operation_id="verifyAudit")
async def verify_audit(_: AuditorDep, services: ServicesDep) -> VerifyReport:
    """Walk the hash chain and report the first broken link, if any."""
    signer = Signer(services.settings.audit_key.get_secret_value())
    return await run_in_threadpool(verify, services.db, signer)


async def _records(services: ServicesDep, decision_id: str) -> list[StoredRecord]:
    records = await run_in_threadpool(records_of_decision, services.db, decision_id)
    if not records:
        raise NotFound("no audit record has this decision id", field="decision_id")
    return records


@auditor_router.get(
    "/{decision_id}", operation_id="readAuditRecords", responses=problem_responses(404)
)
async def read_audit_records(
    decision_id: Identifier, _: AuditorDep, services: ServicesDep
) -> list[StoredRecord]:
    """The decision's record and its disclosures, in chain order."""
    return await _records(services, decision_id)


@auditor_router.get(
    "/{decision_id}/fhir",
    operation_id="exportAuditFhir",
    response_class=JSONResponse,
    responses={200: {"content": {"application/fhir+json": {}}}, **problem_responses(404)},
)
async def export_audit_fhir(
    decision_id: Identifier, _: AuditorDep, services: ServicesDep
) -> JSONResponse:
    """The decision's records as FHIR R4 AuditEvents (IHE BALP) in a Bundle."""
    records = await _records(services, decision_id)
    bundle = audit_bundle(records, services.organisation_name)
    return JSONResponse(bundle, media_type="application/fhir+json")
