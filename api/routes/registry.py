"""Consents, objections and blocks, per child."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ChildDep, RegistryReader, RegistryWriter, ServicesDep, SessionDep
from api.errors import WITH_BODY, problem_responses
from registry import service
from registry.models import (
    BlockCreate,
    BlockPublic,
    ConsentCreate,
    ConsentPublic,
    ObjectionCreate,
    ObjectionPublic,
)

router = APIRouter(
    prefix="/v1/children/{cpr}",
    tags=["registry"],
    responses=problem_responses(404, 422),
)
_WRITE = problem_responses(*WITH_BODY)


@router.post(
    "/consents",
    operation_id="createConsent",
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def create_consent(
    body: ConsentCreate,
    child: ChildDep,
    _: RegistryWriter,
    session: SessionDep,
    services: ServicesDep,
) -> ConsentPublic:
    return service.create_consent(session, child, body, services.clock())


@router.get("/consents", operation_id="listConsents")
def list_consents(
    child: ChildDep, _: RegistryReader, session: SessionDep, services: ServicesDep
) -> list[ConsentPublic]:
    return service.list_consents(session, child.cpr, services.clock())


@router.post(
    "/consents/{consent_id}/revoke",
    operation_id="revokeConsent",
    responses=problem_responses(409),
)
def revoke_consent(
    consent_id: str,
    child: ChildDep,
    _: RegistryWriter,
    session: SessionDep,
    services: ServicesDep,
) -> ConsentPublic:
    return service.revoke_consent(session, child.cpr, consent_id, services.clock())


@router.post(
    "/objections",
    operation_id="createObjection",
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def create_objection(
    body: ObjectionCreate,
    child: ChildDep,
    _: RegistryWriter,
    session: SessionDep,
    services: ServicesDep,
) -> ObjectionPublic:
    return service.create_objection(session, child, body, services.clock())


@router.get("/objections", operation_id="listObjections")
def list_objections(
    child: ChildDep, _: RegistryReader, session: SessionDep
) -> list[ObjectionPublic]:
    return service.list_objections(session, child.cpr)


@router.post(
    "/blocks",
    operation_id="createBlock",
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def create_block(
    body: BlockCreate,
    child: ChildDep,
    _: RegistryWriter,
    session: SessionDep,
    services: ServicesDep,
) -> BlockPublic:
    return service.create_block(session, child.cpr, body, services.clock())


@router.get("/blocks", operation_id="listBlocks")
def list_blocks(child: ChildDep, _: RegistryReader, session: SessionDep) -> list[BlockPublic]:
    return service.list_blocks(session, child.cpr)
