"""The municipal case index and the municipality's contact persons.

Both answer about the child's cases; both are narrowed to the KLE subject
groups the policy data allows the requester's role (`kle_groups` in
rego/hoi/config/data.json). A case outside those groups is dropped here, so the
requester does not even learn that it exists.
"""

from __future__ import annotations

from broker.adapters.base import FetchQuery, SourceRecord, SourceShape, parse
from broker.client import SourceClient


def kle_allowed(code: str, groups: tuple[str, ...]) -> bool:
    """True when the KLE code lies in one of the groups (`27.24` covers `27.24.03`)."""
    return any(code == group or code.startswith(group + ".") for group in groups)


class _Kle(SourceShape):
    code: str


class _Unit(SourceShape):
    id: str
    name: str
    phone: str | None = None
    secure_mail: str | None = None


class _Case(SourceShape):
    id: str
    kle: _Kle
    status: str
    responsible_unit: _Unit
    caseworker_id: str | None = None


class _Cases(SourceShape):
    cases: list[_Case]


async def fk_case_index(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
    answer = parse(_Cases, await client.get_json("cases", {"child": query.child_cpr}))
    return [
        SourceRecord(
            origin=case.responsible_unit.id,
            data={
                "has_active_case": case.status == "open",
                "responsible_unit": case.responsible_unit.name,
            },
            addressable=case.status == "open",
        )
        for case in answer.cases
        if kle_allowed(case.kle.code, query.kle_groups)
    ]


class _Person(SourceShape):
    id: str
    name: str
    phone: str | None = None
    secure_mail: str | None = None


class _Contact(SourceShape):
    kle: _Kle
    unit: _Unit
    caseworker: _Person | None = None


class _Contacts(SourceShape):
    contacts: list[_Contact]


async def fk_organisation_contacts(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
    answer = parse(_Contacts, await client.get_json("contacts", {"child": query.child_cpr}))
    records = []
    for contact in answer.contacts:
        if not kle_allowed(contact.kle.code, query.kle_groups):
            continue
        person = contact.caseworker
        records.append(
            SourceRecord(
                origin=contact.unit.id,
                data={
                    "caseworker_name": person.name if person else None,
                    "unit": contact.unit.name,
                    "phone": (person.phone if person else None) or contact.unit.phone,
                    "secure_mail": (person.secure_mail if person else None)
                    or contact.unit.secure_mail,
                },
            )
        )
    return records
