"""Relation evidence as the policy reads it.

The information point does not grade relations: it passes what the requester's
organisation has with the child (referrals, episodes of care, appointments,
consultations, cases, with their dates and whether they are open), and the
policy grades it (rego/hoi/relation/relation.rego) with windows that are policy
data (rego/hoi/config/data.json: gp_window, relations). Both engines grade
from the same evidence.
"""

from __future__ import annotations

from collections.abc import Iterable

from broker.adapters.relations import Evidence
from policy.facts import Relation


def evidence_of(organisation_id: str, evidence: Iterable[Evidence]) -> list[Relation]:
    """The source's evidence, named by the organisation that holds it."""
    return [
        Relation(
            type=item.type,
            organisation_id=organisation_id,
            date=item.date,
            ended_on=item.ended_on,
            active=item.active,
        )
        for item in evidence
    ]
