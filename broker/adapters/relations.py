"""Relation evidence in the style of the national treatment-relation service
(BRS): what one organisation itself has with the patient (referrals,
appointments, consultations, cases). Read only by the policy information
point, which passes it to the policy to grade; never disclosed."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from broker.adapters.base import SourceShape, parse
from broker.client import SourceClient


class Evidence(SourceShape):
    type: Literal["referral", "episode", "appointment", "consultation", "case"]
    date: dt.date | None = None
    ended_on: dt.date | None = None
    active: bool = True


class _Answer(SourceShape):
    organisation: str
    relations: list[Evidence]


async def read_relation_evidence(
    client: SourceClient, cpr: str, organisation_id: str
) -> list[Evidence]:
    body = await client.get_json("relations", {"patient": cpr, "organisation": organisation_id})
    answer = parse(_Answer, body)
    return answer.relations if answer.organisation == organisation_id else []
