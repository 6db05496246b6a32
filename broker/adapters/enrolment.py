"""School and daycare enrolment in the style of STIL's registers."""

from __future__ import annotations

from broker.adapters.base import FetchQuery, SourceRecord, SourceShape, parse
from broker.client import SourceClient


class _Institution(SourceShape):
    number: str
    name: str
    type: str


class _Enrolment(SourceShape):
    institution: _Institution
    class_or_group: str | None = None


class _Answer(SourceShape):
    enrolments: list[_Enrolment]


async def stil_enrolment(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
    answer = parse(_Answer, await client.get_json("enrolments", {"cpr": query.child_cpr}))
    return [
        SourceRecord(
            origin=f"institution-{e.institution.number}",
            data={
                "institution_name": e.institution.name,
                "institution_type": e.institution.type,
                "class_or_group": e.class_or_group,
            },
        )
        for e in answer.enrolments
    ]
