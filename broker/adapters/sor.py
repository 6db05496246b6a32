"""Psychiatry contact points in the style of SOR: the organisation units
responsible for the child, with SOR code, phone and secure-mail address."""

from __future__ import annotations

from broker.adapters.base import FetchQuery, SourceRecord, SourceShape, parse
from broker.client import SourceClient


class _Named(SourceShape):
    sor_id: str | None = None
    name: str


class _Unit(SourceShape):
    sor_id: str
    name: str
    organisation_id: str | None = None
    parent: _Named | None = None
    phone: str | None = None
    secure_mail: str | None = None


class _Answer(SourceShape):
    units: list[_Unit]


async def sor_contact_points(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
    answer = parse(_Answer, await client.get_json("contact-points", {"patient": query.child_cpr}))
    return [
        SourceRecord(
            origin=unit.organisation_id,
            data={
                "department": unit.parent.name if unit.parent else unit.name,
                "section": unit.name,
                "phone": unit.phone,
                "secure_mail": unit.secure_mail,
                "sor_id": unit.sor_id,
            },
        )
        for unit in answer.units
    ]
