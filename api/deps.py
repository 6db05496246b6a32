"""FastAPI dependencies, declared once so route signatures read like the domain.

The one home of the caller at the HTTP boundary: `CurrentCaller` is the verified
caller (the edge middleware, `api.authn`, verified the token with `auth.tokens`,
which alone turns a token into a `policy.caller.Caller`); `ProfessionalCaller`,
`CitizenDep` and `AuditorDep` narrow it to what a route serves, refusing (403)
any other kind of caller.

Dependencies that do not block are `async def`: FastAPI runs a plain `def`
dependency on a worker thread, a thread hop per dependency per request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api import examples
from api.authn import CALLER_KEY, authenticate
from api.services import Services
from audit.log import AuditLog
from decisions import AuditedDecisions, Origin
from engine.pdp import DecisionPoint
from policy.caller import Caller
from policy.cpr import Cpr
from policy.errors import Forbidden, NotFound, Unavailable
from policy.facts import ChildRecord, FactsUnavailable


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with Session(services.db) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_pdp(services: ServicesDep) -> DecisionPoint:
    return services.pdp


DecisionPointDep = Annotated[DecisionPoint, Depends(get_pdp)]


async def get_child(
    cpr: Annotated[Cpr, Path(openapi_examples=examples.CHILD)], services: ServicesDep
) -> ChildRecord:
    try:
        child = await services.facts.child(cpr)
    except FactsUnavailable as exc:
        raise Unavailable(str(exc), field="cpr") from exc
    if child is None:
        raise NotFound("the CPR register has no child with this number", field="cpr")
    return child


ChildDep = Annotated[ChildRecord, Depends(get_child)]


_bearer = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="A JWT access token from the identity provider (in development: `hoi token`).",
    auto_error=False,
)


async def get_caller(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The verified caller. The edge middleware has normally checked the token
    already; if a route was somehow reached without it, check here."""
    caller = getattr(request.state, CALLER_KEY, None)
    if isinstance(caller, Caller):
        return caller
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return await authenticate(services.verifier, header)


CurrentCaller = Annotated[Caller, Depends(get_caller)]
"""Who calls, with both identities when a system acts for a professional."""


async def get_professional(caller: CurrentCaller) -> Caller:
    if not caller.is_professional:
        raise Forbidden(
            f"a {caller.kind} caller cannot do this; only a professional "
            "(directly or through a system acting for one) can"
        )
    return caller


ProfessionalCaller = Annotated[Caller, Depends(get_professional)]


@dataclass(frozen=True)
class Citizen:
    """A citizen caller: the CPR number says whose access log may be read (the young
    person's own from 15, or a child's under 15 for a custody holder;
    `audit.access.may_read_access_log` decides)."""

    cpr: str


@dataclass(frozen=True)
class Auditor:
    """A caller who reads the audit trail."""

    id: str


async def citizen_caller(caller: CurrentCaller) -> Citizen:
    if caller.kind != "citizen" or caller.cpr is None:
        raise Forbidden("only a citizen (the young person or a custody holder) reads this log")
    return Citizen(cpr=caller.cpr)


async def auditor_caller(caller: CurrentCaller) -> Auditor:
    if caller.kind != "auditor":
        raise Forbidden("only an auditor may read the audit trail")
    return Auditor(id=caller.id)


CitizenDep = Annotated[Citizen, Depends(citizen_caller)]
AuditorDep = Annotated[Auditor, Depends(auditor_caller)]


async def get_audit(services: ServicesDep) -> AuditLog:
    return services.audit


AuditLogDep = Annotated[AuditLog, Depends(get_audit)]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


async def trace_id(traceparent: Annotated[str | None, Header()] = None) -> str:
    """The W3C trace id the caller sent in `traceparent`, or a new one."""
    if traceparent is not None:
        match = _TRACEPARENT.match(traceparent.strip().lower())
        if match and match.group(1) != "0" * 32:
            return match.group(1)
    return uuid.uuid4().hex


TraceIdDep = Annotated[str, Depends(trace_id)]


async def get_decisions(services: ServicesDep) -> AuditedDecisions:
    return services.decisions


DecisionsDep = Annotated[AuditedDecisions, Depends(get_decisions)]
"""The one audited decision path (decide, check override, audit, return)."""


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_origin(caller: CurrentCaller, trace: TraceIdDep, request: Request) -> Origin:
    """Where the question comes from, as plain values for the audit record."""
    return Origin.of(caller, trace_id=trace, client_address=client_address(request))


OriginDep = Annotated[Origin, Depends(get_origin)]
