"""Consents, objections and blocks, per child. Nothing is ever deleted: revoking,
withdrawing and lifting are recorded events, and /events shows the history.

Who may change what (README, "Who may change what"):

- the family, with a citizen token: the young person from 15, or a custody holder
  for a child under 15, records, revokes and withdraws their own consents and
  objections and sets and lifts blocks. The person acting is the token's;
- a professional with the active relation to the child the policy requires of
  them (rego/hoi/registry) records a consent or objection *the family gave them*,
  naming whose by handle (`on_behalf_of`) with the document's reference, and
  reports a revocation they were told of (`stated_by`). A professional never sets
  or lifts a block or withdraws an objection;
- reads: the family, auditors, and professionals the policy allows.

Every read and write is an audit record in the decision chain and shows in the
family's access log. Answers name people by handle and in words, never by CPR
number (only the child's own number appears).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Request
from fastapi import status as http
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ChildDep, CurrentCaller, ServicesDep, SessionDep, TraceIdDep
from api.errors import WITH_BODY, problem_responses
from decisions.registry import RegistryCall
from policy.catalogue import catalogue
from policy.cpr import age_on
from policy.errors import Forbidden, InvalidRequest
from registry import fhir, service
from registry.models import (
    BlockCreate,
    BlockPublic,
    ConsentCreate,
    ConsentImport,
    ConsentPublic,
    ConsentStatus,
    Deciders,
    EventPublic,
    Lift,
    ObjectionCreate,
    ObjectionPublic,
    OnBehalf,
    Revocation,
    Withdrawal,
)

router = APIRouter(
    prefix="/v1/children/{cpr}",
    tags=["registry"],
    responses=problem_responses(404, 409, *WITH_BODY),
)

T = TypeVar("T")

FhirResource = Annotated[
    dict[str, Any],
    Body(
        description="A FHIR R4 Consent resource (application/fhir+json or application/json).",
        media_type=fhir.FHIR_JSON,
    ),
]


async def registry_call(
    request: Request,
    caller: CurrentCaller,
    child: ChildDep,
    services: ServicesDep,
    trace_id: TraceIdDep,
) -> RegistryCall:
    return RegistryCall(
        caller=caller,
        child=child,
        services=services,
        trace_id=trace_id,
        client_address=request.client.host if request.client else None,
    )


Call = Annotated[RegistryCall, Depends(registry_call)]


async def _reading(call: RegistryCall, read: Callable[[], T]) -> T:
    await call.read()
    return await run_in_threadpool(read)


@router.get("/deciders", operation_id="listDeciders")
async def list_deciders(call: Call) -> Deciders:
    """Who decides for the child today, by handle and in words: the young person
    from 15, else the custody holders. A professional names one of them by handle
    when recording what the family gave them."""
    await call.read()
    child, handles = call.child, call.services.handles
    decides = age_on(child.birth_date, call.services.clock().date()) >= (
        catalogue().consent.self_consent_age
    )
    people = [child.cpr] if decides else list(child.custody_holders)
    return Deciders(child_decides=decides, persons=[handles.ref(child, p) for p in people])


@router.post("/consents", operation_id="createConsent", status_code=http.HTTP_201_CREATED)
async def create_consent(body: ConsentCreate, call: Call, session: SessionDep) -> ConsentPublic:
    """Record a consent: the family's own, or one the family gave a professional
    (`on_behalf_of`, `document_reference`). Refused (422) for GDPR consent, an
    unknown regime, a form the regime does not allow, or a giver who was not
    entitled on the day it was given. The end is capped by the regime's maximum
    validity (`expiry_capped`)."""
    writer = await call.writer("consent.record", "record_consent", body)
    now = call.services.clock()
    return await run_in_threadpool(
        service.create_consent, session, call.child, body, now, writer, judge=call.judge
    )


@router.get("/consents", operation_id="listConsents")
async def list_consents(
    call: Call, session: SessionDep, status: ConsentStatus | None = None
) -> list[ConsentPublic]:
    now, names = call.services.clock(), call.services.handles
    return await _reading(
        call,
        lambda: service.list_consents(session, call.child, now, names, status, judge=call.judge),
    )


@router.post(
    "/consents/fhir",
    operation_id="importFhirConsent",
    status_code=http.HTTP_201_CREATED,
    responses={
        422: {
            **problem_responses(422)[422],
            "description": "Not a Consent we can map; every problem is listed",
        }
    },
)
async def import_fhir_consent(
    resource: FhirResource, call: Call, session: SessionDep
) -> ConsentImport:
    """Record a consent from a FHIR R4 Consent resource. What cannot be mapped is
    refused with one entry per problem in `errors`; nothing is silently dropped.
    A citizen imports only a consent they gave; a professional with a relation
    imports one the family gave them (the resource's identifier is the document)."""
    body, performer, identifiers, notes = fhir.consent_from_fhir(resource, call.child.cpr)
    handles = call.services.handles
    giver = handles.resolve(call.child, performer) if performer.startswith("p-") else performer
    if giver is None:
        raise InvalidRequest(
            "the performer's handle names no one who decides for this child", field="performer"
        )
    handle = handles.handle(call.child.cpr, giver)
    if call.caller.kind == "citizen":
        if giver != call.caller.cpr:
            raise Forbidden("you may import only a consent you gave yourself", field="performer")
        writer = await call.writer("consent.record", "record_consent", OnBehalf())
    else:
        document = next((i["value"] for i in identifiers), resource.get("id"))
        on_behalf = OnBehalf(on_behalf_of=handle, document_reference=document)
        writer = await call.writer("consent.record", "record_consent", on_behalf)
    now = call.services.clock()
    consent = await run_in_threadpool(
        lambda: service.create_consent(
            session,
            call.child,
            body,
            now,
            writer,
            judge=call.judge,
            source="fhir",
            source_identifiers=identifiers,
        )
    )
    return ConsentImport(consent=consent, notes=notes)


@router.get("/consents/{consent_id}", operation_id="getConsent")
async def get_consent(consent_id: str, call: Call, session: SessionDep) -> ConsentPublic:
    now, names = call.services.clock(), call.services.handles
    return await _reading(
        call,
        lambda: service.get_consent(session, call.child, consent_id, now, names, judge=call.judge),
    )


@router.get(
    "/consents/{consent_id}/fhir",
    operation_id="exportFhirConsent",
    response_class=JSONResponse,
    responses={200: {"content": {fhir.FHIR_JSON: {}}, "description": "A FHIR R4 Consent"}},
)
async def export_fhir_consent(consent_id: str, call: Call, session: SessionDep) -> JSONResponse:
    now, names = call.services.clock(), call.services.handles
    consent = await _reading(
        call,
        lambda: service.get_consent(session, call.child, consent_id, now, names, judge=call.judge),
    )
    return JSONResponse(fhir.consent_to_fhir(consent), media_type=fhir.FHIR_JSON)


@router.post("/consents/{consent_id}/revoke", operation_id="revokeConsent")
async def revoke_consent(
    consent_id: str, call: Call, session: SessionDep, body: Revocation | None = None
) -> ConsentPublic:
    """Revoke a consent; it stops counting from the very next decision. The giver
    (or the young person from 15) revokes with their own login; a professional
    with a relation who was told of it reports it, naming who said so (`stated_by`)."""
    body = body or Revocation()
    writer = await call.writer("consent.revoke", "revoke_consent", stated_by=body.stated_by)
    if writer.recorded_by.by_professional and body.document_reference:
        recorded_by = writer.recorded_by.model_copy(
            update={"document_reference": body.document_reference}
        )
        writer = replace(writer, recorded_by=recorded_by)
    now = call.services.clock()
    return await run_in_threadpool(
        service.revoke_consent, session, call.child, consent_id, now, writer, judge=call.judge
    )


@router.post("/objections", operation_id="createObjection", status_code=http.HTTP_201_CREATED)
async def create_objection(
    body: ObjectionCreate, call: Call, session: SessionDep
) -> ObjectionPublic:
    """Record an objection by the young person (15+) or a custody holder (under 15),
    with their own login, or one they told a professional (`on_behalf_of`)."""
    writer = await call.writer("objection.record", "record_objection", body)
    now = call.services.clock()
    return await run_in_threadpool(
        service.create_objection, session, call.child, body, now, writer, judge=call.judge
    )


@router.get("/objections", operation_id="listObjections")
async def list_objections(call: Call, session: SessionDep) -> list[ObjectionPublic]:
    now, names = call.services.clock(), call.services.handles
    return await _reading(
        call, lambda: service.list_objections(session, call.child, now, names, judge=call.judge)
    )


@router.post("/objections/{objection_id}/withdraw", operation_id="withdrawObjection")
async def withdraw_objection(
    objection_id: str, call: Call, session: SessionDep, body: Withdrawal | None = None
) -> ObjectionPublic:
    """Withdraw an objection: only the person who objected (or the young person
    from 15), with their own login."""
    writer = await call.citizen_writer("withdraw_objection")
    now = call.services.clock()
    return await run_in_threadpool(
        service.withdraw_objection, session, call.child, objection_id, now, writer, judge=call.judge
    )


@router.post("/blocks", operation_id="createBlock", status_code=http.HTTP_201_CREATED)
async def create_block(body: BlockCreate, call: Call, session: SessionDep) -> BlockPublic:
    """Record a block in the style of Min spærring (see BlockCreate.target_kind), with
    the young person's or a custody holder's own login. A block on an organisation
    the organisation register does not know is refused."""
    writer = await call.citizen_writer("set_block")
    now, orgs = call.services.clock(), call.services.organisations
    return await run_in_threadpool(
        service.create_block, session, call.child, body, now, writer, orgs, judge=call.judge
    )


@router.get("/blocks", operation_id="listBlocks")
async def list_blocks(call: Call, session: SessionDep) -> list[BlockPublic]:
    now, names = call.services.clock(), call.services.handles
    return await _reading(
        call, lambda: service.list_blocks(session, call.child, now, names, judge=call.judge)
    )


@router.post("/blocks/{block_id}/lift", operation_id="liftBlock")
async def lift_block(
    block_id: str, call: Call, session: SessionDep, body: Lift | None = None
) -> BlockPublic:
    """Lift a block: only the person who set it (or the young person from 15),
    with their own login."""
    writer = await call.citizen_writer("lift_block")
    now = call.services.clock()
    return await run_in_threadpool(
        service.lift_block, session, call.child, block_id, now, writer, judge=call.judge
    )


@router.get("/events", operation_id="listRegistryEvents")
async def list_events(call: Call, session: SessionDep) -> list[EventPublic]:
    """The registry's history for the child, oldest first; expiry is derived from dates."""
    now, names = call.services.clock(), call.services.handles
    return await _reading(
        call, lambda: service.history(session, call.child, now, names, judge=call.judge)
    )
