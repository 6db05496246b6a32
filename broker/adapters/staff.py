"""The organisation staff register: an organisation's staff list joined with the
national authorisation register (Autorisationsregisteret, Styrelsen for
Patientsikkerhed). Read only by the policy information point, to confirm that a
requester who claims a health-professional authorisation holds one, and that the
clinician a medical secretary names works in her organisation; never disclosed.

The source answers one person of one organisation; a person it does not know is
an empty list, not an error. Names it gives are dropped here: the policy needs none.
"""

from __future__ import annotations

from typing import Literal

from broker.adapters.base import SourceShape, parse
from broker.client import SourceClient, SourceError
from policy.facts import Authorisation, StaffMember


class _Authorisation(SourceShape):
    id: str
    profession: str
    status: Literal["valid", "suspended", "revoked"]


class _Member(SourceShape):
    id: str
    role: str
    organisation_id: str
    authorisation: _Authorisation | None = None


class _Answer(SourceShape):
    organisation: str
    members: list[_Member]


async def read_staff_member(
    client: SourceClient, organisation_id: str, staff_id: str
) -> StaffMember | None:
    """The person on the organisation's staff list, or None when they are not on it."""
    body = await client.get_json("members", {"organisation": organisation_id, "id": staff_id})
    answer = parse(_Answer, body)
    if answer.organisation != organisation_id:
        raise SourceError("bad_response: the staff list of another organisation")
    found = [m for m in answer.members if m.id == staff_id and m.organisation_id == organisation_id]
    if len(found) > 1:
        raise SourceError("bad_response: more than one staff member with this id")
    if not found:
        return None
    person = found[0]
    return StaffMember(
        id=person.id,
        role=person.role,
        organisation_id=person.organisation_id,
        authorisation=Authorisation(**person.authorisation.model_dump())
        if person.authorisation
        else None,
    )
