"""The CPR register (with the child's GP registration).

Read twice, for two different reasons: the policy information point reads the
child's birth date, custody holders and registered GP to decide (`read_person`;
this never leaves the service), and the broker reads the child's identity for
disclosure when `child_identity` is permitted (`cpr_person`).
"""

from __future__ import annotations

from datetime import date

from broker.adapters.base import FetchQuery, SourceRecord, SourceShape, parse
from broker.client import SourceClient, SourceError
from policy.cpr import age_on
from policy.facts import ChildRecord, HolderRelation


class _Holder(SourceShape):
    cpr: str
    name: str | None = None
    relation: HolderRelation | None = None


class _Gp(SourceShape):
    organisation_id: str
    name: str | None = None


class Person(SourceShape):
    cpr: str
    name: str
    birth_date: date
    custody_holders: tuple[_Holder, ...] = ()
    registered_gp: _Gp | None = None
    municipality: str | None = None
    acting_municipality: str | None = None


async def _person(client: SourceClient, cpr: str) -> Person | None:
    try:
        body = await client.get_json(f"persons/{cpr}")
    except SourceError as exc:
        if exc.detail == "http_404":
            return None
        raise
    person = parse(Person, body)
    if person.cpr != cpr:
        raise SourceError("bad_response: another person than asked for")
    return person


async def read_person(client: SourceClient, cpr: str) -> ChildRecord | None:
    """The child as the policy needs it; None when the register does not know the number."""
    person = await _person(client, cpr)
    if person is None:
        return None
    return ChildRecord(
        cpr=person.cpr,
        name=person.name,
        birth_date=person.birth_date,
        custody_holders=tuple(h.cpr for h in person.custody_holders),
        holder_relations=tuple(h.relation for h in person.custody_holders),
        registered_gp=person.registered_gp.organisation_id if person.registered_gp else None,
        municipality=person.municipality,
        acting_municipality=person.acting_municipality,
    )


async def cpr_person(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
    person = await _person(client, query.child_cpr)
    if person is None:
        return []
    return [
        SourceRecord(
            origin="cpr",
            data={
                "name": person.name,
                "age": age_on(person.birth_date, query.today),
                "custody_holders": [h.name for h in person.custody_holders],
            },
        )
    ]
