"""FastAPI dependencies, declared once so route signatures read like the domain."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from api.services import Services
from audit.log import AuditLog
from engine.pdp import DecisionPoint
from policy.cpr import Cpr
from policy.errors import NotFound, Unavailable
from policy.facts import ChildRecord, FactsUnavailable


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with Session(services.db) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_pdp(services: ServicesDep) -> DecisionPoint:
    return services.pdp


DecisionPointDep = Annotated[DecisionPoint, Depends(get_pdp)]


async def get_child(cpr: Cpr, services: ServicesDep) -> ChildRecord:
    try:
        child = await services.facts.child(cpr)
    except FactsUnavailable as exc:
        raise Unavailable(str(exc), field="cpr") from exc
    if child is None:
        raise NotFound("the CPR register has no child with this number", field="cpr")
    return child


ChildDep = Annotated[ChildRecord, Depends(get_child)]


def get_audit(services: ServicesDep) -> AuditLog:
    return services.audit


AuditLogDep = Annotated[AuditLog, Depends(get_audit)]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def trace_id(traceparent: Annotated[str | None, Header()] = None) -> str:
    """The W3C trace id the caller sent in `traceparent`, or a new one."""
    if traceparent is not None:
        match = _TRACEPARENT.match(traceparent.strip().lower())
        if match and match.group(1) != "0" * 32:
            return match.group(1)
    return uuid.uuid4().hex


TraceIdDep = Annotated[str, Depends(trace_id)]
