"""Who is calling the audit endpoints, from the verified bearer token.

- `citizen_caller`: a `citizen` token; its CPR claim says whose log may be read
  (the young person's own from 15, or a child's under 15 for a custody holder;
  `audit.access.may_read_access_log` decides).
- `auditor_caller`: an `auditor` token.

Any other kind of caller is refused (403); no token at all is refused before any
route runs (401, `api/authn.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from api.deps import CurrentCaller
from policy.caller import AUDITOR_ROLE
from policy.errors import Forbidden

__all__ = ["AUDITOR_ROLE", "AuditorDep", "CitizenDep", "Forbidden"]


@dataclass(frozen=True)
class Citizen:
    cpr: str


@dataclass(frozen=True)
class Auditor:
    id: str


def citizen_caller(caller: CurrentCaller) -> Citizen:
    if caller.kind != "citizen" or caller.cpr is None:
        raise Forbidden("only a citizen (the young person or a custody holder) reads this log")
    return Citizen(cpr=caller.cpr)


def auditor_caller(caller: CurrentCaller) -> Auditor:
    if caller.kind != "auditor":
        raise Forbidden("only an auditor may read the audit trail")
    return Auditor(id=caller.id)


CitizenDep = Annotated[Citizen, Depends(citizen_caller)]
AuditorDep = Annotated[Auditor, Depends(auditor_caller)]
