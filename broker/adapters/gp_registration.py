"""The child's GP registration (lægevalg): the GP clinic the child is registered
with, as the CPR register records it, with the clinic's contact point (SOR id,
phone, secure mail) from the provider register.

The answer names the clinic, never another person: the registered doctor's own
details, other patients and the custody holders are not part of it. The record's
origin is the clinic's organisation id, so the broker gives it the clinic's
`recipient` (SOR id, GLN, `write_to` handle) from the organisation register, and
a block on the clinic as a source withholds it like any other record.
"""

from __future__ import annotations

from broker.adapters.base import FetchQuery, SourceRecord, SourceShape, parse
from broker.client import SourceClient, SourceError


class _Clinic(SourceShape):
    organisation_id: str
    name: str
    sor_id: str | None = None
    phone: str | None = None
    secure_mail: str | None = None


class _Answer(SourceShape):
    patient: str
    registration: _Clinic | None = None


async def gp_registration(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
    answer = parse(_Answer, await client.get_json("registrations", {"patient": query.child_cpr}))
    if answer.patient != query.child_cpr:
        # Fail closed: a register that answers about someone else is not believed.
        raise SourceError("bad_response: another person than asked for")
    clinic = answer.registration
    if clinic is None:
        return []
    return [
        SourceRecord(
            origin=clinic.organisation_id,
            data={
                "clinic_name": clinic.name,
                "phone": clinic.phone,
                "secure_mail": clinic.secure_mail,
                "sor_id": clinic.sor_id,
            },
        )
    ]
