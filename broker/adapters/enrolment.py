"""School and daycare enrolment in the style of STIL's registers.

A school or daycare is not on the MedCom network: it has no SOR id or GLN to
write to. Its contact point for correspondence is the unit of the institution's
municipality that answers for school support (the KLE task area below, PPR in the
organisation register), which the broker addresses from the register. An
institution whose municipality the source does not give gets no address."""

from __future__ import annotations

from broker.adapters.base import FetchQuery, SourceRecord, SourceShape, parse
from broker.client import SourceClient

SCHOOL_SUPPORT_KLE = "17.13"
"""The KLE task area of the municipal unit a school is written to through
(pedagogical-psychological advice to the municipality's schools and daycare)."""


class _Institution(SourceShape):
    number: str
    name: str
    type: str
    municipality_code: str | None = None


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
            contact_via=(
                (e.institution.municipality_code, SCHOOL_SUPPORT_KLE)
                if e.institution.municipality_code
                else None
            ),
        )
        for e in answer.enrolments
    ]
