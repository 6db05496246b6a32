"""Who is calling the audit endpoints.

PLACEHOLDER until authentication lands (issue 7). The rest of the API has no
authentication yet; these two dependencies are the only places the audit
endpoints learn who calls, so the auth work replaces their bodies with the
verified token's claims and nothing else changes:

- `citizen_caller`: the citizen's CPR number. For now from the request header
  `X-Hoi-Citizen-Cpr` (a header, not a query parameter, so the number never
  appears in URLs or access logs). With auth: the token's CPR claim.
- `auditor_caller`: the caller's role and id. For now from the headers
  `X-Hoi-Role` (must be `auditor`) and `X-Hoi-Subject-Id`. With auth: the
  token's role and subject claims.

Until then anyone who can reach the service can claim any identity, exactly as
anyone can ask for any decision: run it only where the network is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from policy.cpr import CprError, validate_cpr
from policy.errors import HoiError

AUDITOR_ROLE = "auditor"


class NotAuthenticated(HoiError):
    status = 401
    title = "Not authenticated"
    type_slug = "not-authenticated"


class Forbidden(HoiError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


@dataclass(frozen=True)
class Citizen:
    cpr: str


@dataclass(frozen=True)
class Auditor:
    id: str


def citizen_caller(
    x_hoi_citizen_cpr: Annotated[
        str | None,
        Header(description="Placeholder until authentication: the calling citizen's CPR."),
    ] = None,
) -> Citizen:
    if x_hoi_citizen_cpr is None:
        raise NotAuthenticated("say who you are (X-Hoi-Citizen-Cpr)", field="X-Hoi-Citizen-Cpr")
    try:
        return Citizen(cpr=validate_cpr(x_hoi_citizen_cpr))
    except CprError as exc:
        raise NotAuthenticated(str(exc), field="X-Hoi-Citizen-Cpr") from exc


def auditor_caller(
    x_hoi_role: Annotated[
        str | None, Header(description="Placeholder until authentication: the caller's role.")
    ] = None,
    x_hoi_subject_id: Annotated[
        str | None, Header(description="Placeholder until authentication: the caller's id.")
    ] = None,
) -> Auditor:
    if x_hoi_role is None or not x_hoi_subject_id:
        raise NotAuthenticated(
            "say who you are (X-Hoi-Role and X-Hoi-Subject-Id)", field="X-Hoi-Role"
        )
    if x_hoi_role != AUDITOR_ROLE:
        raise Forbidden("only an auditor may read the audit trail", field="X-Hoi-Role")
    return Auditor(id=x_hoi_subject_id)


CitizenDep = Annotated[Citizen, Depends(citizen_caller)]
AuditorDep = Annotated[Auditor, Depends(auditor_caller)]
