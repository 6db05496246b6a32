"""Consents, objections and blocks, per child. Nothing is ever deleted: revoking,
withdrawing and lifting are recorded events, and /events shows the history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi import status as http
from fastapi.responses import JSONResponse

from api.deps import ChildDep, ServicesDep, SessionDep, registry_access
from api.errors import WITH_BODY, problem_responses
from registry import fhir, service
from registry.models import (
    BlockCreate,
    BlockPublic,
    ConsentCreate,
    ConsentImport,
    ConsentPublic,
    ConsentStatus,
    EventPublic,
    Lift,
    ObjectionCreate,
    ObjectionPublic,
    Revocation,
    Withdrawal,
)

router = APIRouter(
    prefix="/v1/children/{cpr}",
    tags=["registry"],
    # Who may read and who may write: api.deps.registry_access.
    dependencies=[Depends(registry_access)],
    responses=problem_responses(404, 409, *WITH_BODY),
)

FhirResource = Annotated[
    dict[str, Any],
    Body(
        description="A FHIR R4 Consent resource (application/fhir+json or application/json).",
        media_type=fhir.FHIR_JSON,
    ),
]


@router.post("/consents", operation_id="createConsent", status_code=http.HTTP_201_CREATED)
def create_consent(
    body: ConsentCreate, child: ChildDep, session: SessionDep, services: ServicesDep
) -> ConsentPublic:
    """Record a consent. Refused (422) for GDPR consent, an unknown regime, a form the
    regime does not allow, or a giver who was not entitled on the day it was given.
    The end is capped by the regime's maximum validity (`expiry_capped`)."""
    return service.create_consent(session, child, body, services.clock())


@router.get("/consents", operation_id="listConsents")
def list_consents(
    child: ChildDep,
    session: SessionDep,
    services: ServicesDep,
    status: Annotated[ConsentStatus | None, Query(description="Only this status.")] = None,
) -> list[ConsentPublic]:
    return service.list_consents(session, child, services.clock(), status)


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
def import_fhir_consent(
    resource: FhirResource, child: ChildDep, session: SessionDep, services: ServicesDep
) -> ConsentImport:
    """Record a consent from a FHIR R4 Consent resource. What cannot be mapped is
    refused with one entry per problem in `errors`; nothing is silently dropped."""
    body, identifiers, notes = fhir.consent_from_fhir(resource, child.cpr)
    consent = service.create_consent(
        session, child, body, services.clock(), source="fhir", source_identifiers=identifiers
    )
    return ConsentImport(consent=consent, notes=notes)


@router.get("/consents/{consent_id}", operation_id="getConsent")
def get_consent(
    consent_id: str, child: ChildDep, session: SessionDep, services: ServicesDep
) -> ConsentPublic:
    return service.get_consent(session, child, consent_id, services.clock())


@router.get(
    "/consents/{consent_id}/fhir",
    operation_id="exportFhirConsent",
    response_class=JSONResponse,
    responses={200: {"content": {fhir.FHIR_JSON: {}}, "description": "A FHIR R4 Consent"}},
)
def export_fhir_consent(
    consent_id: str, child: ChildDep, session: SessionDep, services: ServicesDep
) -> JSONResponse:
    consent = service.get_consent(session, child, consent_id, services.clock())
    return JSONResponse(fhir.consent_to_fhir(consent), media_type=fhir.FHIR_JSON)


@router.post("/consents/{consent_id}/revoke", operation_id="revokeConsent")
def revoke_consent(
    consent_id: str,
    body: Revocation,
    child: ChildDep,
    session: SessionDep,
    services: ServicesDep,
) -> ConsentPublic:
    """Revoke a consent; it stops counting from the very next decision."""
    return service.revoke_consent(session, child, consent_id, body, services.clock())


@router.post("/objections", operation_id="createObjection", status_code=http.HTTP_201_CREATED)
def create_objection(
    body: ObjectionCreate, child: ChildDep, session: SessionDep, services: ServicesDep
) -> ObjectionPublic:
    """Record an objection by the young person (15+) or a custody holder (under 15)."""
    return service.create_objection(session, child, body, services.clock())


@router.get("/objections", operation_id="listObjections")
def list_objections(
    child: ChildDep, session: SessionDep, services: ServicesDep
) -> list[ObjectionPublic]:
    return service.list_objections(session, child, services.clock())


@router.post("/objections/{objection_id}/withdraw", operation_id="withdrawObjection")
def withdraw_objection(
    objection_id: str,
    body: Withdrawal,
    child: ChildDep,
    session: SessionDep,
    services: ServicesDep,
) -> ObjectionPublic:
    return service.withdraw_objection(session, child, objection_id, body, services.clock())


@router.post("/blocks", operation_id="createBlock", status_code=http.HTTP_201_CREATED)
def create_block(
    body: BlockCreate, child: ChildDep, session: SessionDep, services: ServicesDep
) -> BlockPublic:
    """Record a block in the style of Min spærring (see BlockCreate.target_kind).
    A block on an organisation the organisation register does not know is refused."""
    return service.create_block(session, child, body, services.clock(), services.organisations)


@router.get("/blocks", operation_id="listBlocks")
def list_blocks(child: ChildDep, session: SessionDep, services: ServicesDep) -> list[BlockPublic]:
    return service.list_blocks(session, child, services.clock())


@router.post("/blocks/{block_id}/lift", operation_id="liftBlock")
def lift_block(
    block_id: str, body: Lift, child: ChildDep, session: SessionDep, services: ServicesDep
) -> BlockPublic:
    return service.lift_block(session, child, block_id, body, services.clock())


@router.get("/events", operation_id="listRegistryEvents")
def list_events(child: ChildDep, session: SessionDep, services: ServicesDep) -> list[EventPublic]:
    """The registry's history for the child, oldest first; expiry is derived from dates."""
    return service.history(session, child, services.clock())
