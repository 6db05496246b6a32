"""The role x data-category matrix, computed by evaluating the real policy.

Nothing here is hand-written: for each fact combination (no consent, valid
consent, expired consent, objection, block, no relation) a synthetic world is
built around one child, every role asks for every category through the same
decision point the service uses, and the matrix records what came back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from engine.base import PolicyEngine
from engine.pdp import Citations
from handbook.scenarios import (
    ActingForSpec,
    BlockSpec,
    ChildSpec,
    ConsentSpec,
    ObjectionSpec,
    RelationSpec,
    RequesterSpec,
    Scenario,
    StaffSpec,
)
from handbook.worlds import World
from policy.catalogue import Catalogue, catalogue
from policy.decision import CategoryDecision, Citation


@dataclass(frozen=True)
class FactSet:
    key: str
    label: str
    description: str


FACT_SETS: tuple[FactSet, ...] = (
    FactSet(
        "no_consent",
        "No consent",
        "Every requester has its usual relation to the child; nobody has consented.",
    ),
    FactSet(
        "valid_consent",
        "Valid consent",
        "Both custody holders gave every consent the service knows (each regime, to each kind "
        "of organisation, for every category) in writing six months ago, valid for a year.",
    ),
    FactSet(
        "expired_consent",
        "Expired consent",
        "The same consents, but given 13 months ago: they name a later end date, yet every "
        "regime's maximum validity of a year has passed.",
    ),
    FactSet(
        "objection",
        "Objection",
        "Valid consents as above, but the mother has objected to any disclosure or lookup.",
    ),
    FactSet(
        "block",
        "Block",
        "Valid consents as above, but the family has blocked each requester's organisation.",
    ),
    FactSet(
        "no_relation",
        "No relation",
        "Valid consents as above, but no requester has a relation to the child: no open case, "
        "no course, no consultation.",
    ),
)


@dataclass(frozen=True)
class Representative:
    """Who asks for a role in the matrix, from where, and for what."""

    organisation: str
    organisation_type: str
    purpose: str
    health_professional: bool = False
    acting_for: ActingForSpec | None = None


GP_CLINIC = "gp-laegeklinikken-sulsted"
BUP_UNIT = "bup-rn-aalborg-amb"

REPRESENTATIVES: dict[str, Representative] = {
    "municipal_caseworker": Representative("851-family", "municipality", "social_case_work"),
    "ppr_psychologist": Representative("851-ppr", "municipality", "special_education_advice"),
    "gp": Representative(GP_CLINIC, "gp_clinic", "current_treatment", True),
    "bup_psychiatrist": Representative(BUP_UNIT, "region_psychiatry", "current_treatment", True),
    "bup_psychologist": Representative(BUP_UNIT, "region_psychiatry", "current_treatment", True),
    "bup_social_worker": Representative(BUP_UNIT, "region_psychiatry", "coordination"),
    "bup_medical_secretary": Representative(
        BUP_UNIT,
        "region_psychiatry",
        "current_treatment",
        acting_for=ActingForSpec(id="psychiatrist-1", role="bup_psychiatrist"),
    ),
}

PARENTS = ("mother", "father")
RECIPIENTS = sorted({r.organisation for r in REPRESENTATIVES.values()})
"""Consents name each representative's organisation: a recipient is never a bare type."""


def _consents(day: dt.date, fact_set: str, policy: Catalogue) -> list[ConsentSpec]:
    if fact_set == "no_consent":
        return []
    start = day - timedelta(days=400 if fact_set == "expired_consent" else 180)
    return [
        ConsentSpec(
            given_by=parent,
            regime=regime,
            categories=list(policy.categories),
            recipient={"organisation_id": recipient},
            valid_from=start,
            valid_until=start + timedelta(days=365 if fact_set != "expired_consent" else 600),
        )
        for regime in sorted(policy.regimes)
        for recipient in RECIPIENTS
        for parent in PARENTS
    ]


def world(fact_set: str, role: str, day: dt.date, policy: Catalogue | None = None) -> Scenario:
    """The synthetic world for one fact combination, asked by one role's representative."""
    policy = policy or catalogue()
    rep = REPRESENTATIVES[role]
    label = next(f for f in FACT_SETS if f.key == fact_set)
    relations = (
        []
        if fact_set == "no_relation"
        else [
            RelationSpec(kind="consultation", organisation=GP_CLINIC),
            RelationSpec(kind="treatment_course", organisation=BUP_UNIT),
            RelationSpec(kind="open_case", organisation="851-family"),
            RelationSpec(kind="open_case", organisation="851-ppr"),
        ]
    )
    requester_orgs = sorted({r.organisation for r in REPRESENTATIVES.values()})
    # The staff register knows every representative as described, and the clinician
    # the secretary acts for, so whoever asks is confirmed the same way.
    register = [
        StaffSpec(
            id=f"{name}-1",
            role=name,
            organisation=r.organisation,
            authorisation="valid" if r.health_professional else "none",
        )
        for name, r in REPRESENTATIVES.items()
    ] + [
        StaffSpec(id=r.acting_for.id, role=r.acting_for.role, organisation=r.organisation)
        for r in REPRESENTATIVES.values()
        if r.acting_for is not None
    ]
    scenario = Scenario(
        title=f"Matrix: {label.label}, asked by {role}",
        legal_references=[],
        facts=label.description,
        date=day,
        child=ChildSpec(age=12, custody_holders=list(PARENTS), registered_gp=GP_CLINIC),
        requester=RequesterSpec(
            id=f"{role}-1",
            role=role,
            organisation=rep.organisation,
            organisation_type=rep.organisation_type,
            health_professional=rep.health_professional,
            acting_for=rep.acting_for,
        ),
        purpose=rep.purpose,
        staff_register=register,
        relations=relations,
        consents=_consents(day, fact_set, policy),
        objections=[ObjectionSpec(given_by="mother")] if fact_set == "objection" else [],
        blocks=[
            BlockSpec(target_kind="organisation", target_id=org, valid_from=day - timedelta(30))
            for org in requester_orgs
        ]
        if fact_set == "block"
        else [],
        ask=list(policy.categories),
        expect={},
    )
    scenario.id = f"matrix-{fact_set}-{role}"
    return scenario


class Cell(BaseModel):
    """One role's answer for one category under one fact combination."""

    model_config = ConfigDict(frozen=True)

    decision: str
    rule_id: str | None
    legal_basis: list[str]
    citations: list[Citation]
    basis_review: str | None
    reasons: list[str]
    rule_ids: list[str]
    messages: list[str]
    fields: list[str]

    @classmethod
    def of(cls, outcome: CategoryDecision) -> Cell:
        first = outcome.reasons[0] if outcome.reasons else None
        return cls(
            decision=outcome.decision,
            rule_id=outcome.rule_id,
            legal_basis=outcome.legal_basis,
            citations=first.citations if first and outcome.decision == "permit" else [],
            basis_review=first.basis_review if first else None,
            reasons=[r.code for r in outcome.reasons],
            rule_ids=[r.rule_id for r in outcome.reasons],
            messages=[r.message for r in outcome.reasons],
            fields=outcome.fields,
        )

    @property
    def tone(self) -> str:
        """permit; unmet (a consent or relation would change it); or refused."""
        if self.decision == "permit":
            return "permit"
        if {"missing_consent", "consent_expired", "no_relation"} & set(self.reasons):
            return "unmet"
        return "refused"


class Matrix(BaseModel):
    day: dt.date
    roles: list[str]
    categories: list[str]
    purposes: dict[str, str]
    fact_sets: list[str]
    cells: dict[str, dict[str, dict[str, Cell]]]
    """cells[fact_set][role][category]"""


async def compute_matrix(engine: PolicyEngine, citations: Citations | None, day: dt.date) -> Matrix:
    """Evaluate every role x category under every fact combination."""
    policy = catalogue()
    roles = list(REPRESENTATIVES)
    cells: dict[str, dict[str, dict[str, Cell]]] = {}
    for fact_set in FACT_SETS:
        cells[fact_set.key] = {}
        # The facts are the same whoever asks: record them once per fact set.
        place = World(world(fact_set.key, roles[0], day, policy))
        try:
            for role in roles:
                question = world(fact_set.key, role, day, policy)
                decision = await place.decide(engine, citations, question)
                cells[fact_set.key][role] = {
                    category: Cell.of(outcome) for category, outcome in decision.categories.items()
                }
        finally:
            place.close()
    return Matrix(
        day=day,
        roles=roles,
        categories=list(policy.categories),
        purposes={role: rep.purpose for role, rep in REPRESENTATIVES.items()},
        fact_sets=[f.key for f in FACT_SETS],
        cells=cells,
    )
