"""The impact report's corpus: seeded synthetic situations, and the scenarios' questions.

Role x purpose x consent state x objection/block state x age band x relation
evidence, every data category asked in each. The situations are built as the
service builds them: domain facts (a child in a synthetic population, its
registry entries) go through the local facts provider and the decision point
into the engine input, so the corpus follows the policy input when the
service's input changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from engine.pdp import DecisionPoint
from facts.local import LocalFacts, in_memory_registry
from facts.organisations import Organisation
from handbook.scenarios import Scenario
from handbook.worlds import DEV_HANDLES, NoEngine, World
from policy.catalogue import Catalogue, catalogue
from policy.decision import DecisionRequest
from policy.facts import (
    BlockFact,
    BlockTarget,
    ChildRecord,
    ConsentFact,
    ObjectionFact,
    RegistryState,
)
from sandbox.pilot import organisations
from sandbox.population import Case, Child, Population
from sandbox.staff import StaffRegister, member, register_of

DEFAULT_SEED = 11
DEFAULT_SIZE = 4200
"""Inputs in the corpus; each asks every data category (6), so 25,200 situations."""

DAY = date(2026, 11, 26)

ORGANISATION_OF_ROLE = {
    "municipal_caseworker": "851-family",
    "ppr_psychologist": "851-ppr",
    "gp": "gp-laegehuset-i-hals",
}
PSYCHIATRY_UNIT = "bup-rn-aalborg-amb"
OTHER_MUNICIPALITY_UNIT = "787-family"
HEALTH_PROFESSIONAL_ROLES = {"gp", "bup_psychiatrist", "bup_psychologist"}

CONSENT_STATES: dict[str, str] = {
    "none": "no consent",
    "sul-43-1": "a written Health Act § 43 consent to the requester's organisation",
    "fvl-28-2-1": "a written Forvaltningsloven § 28 consent to the requester's organisation",
    "sul-42a-3": "an oral Health Act § 42 a lookup consent to the requester's organisation",
    "expired": "a § 43 consent to the requester's organisation that lapsed yesterday",
    "revoked": "a § 43 consent to the requester's organisation, revoked",
    "one-holder": "a § 43 consent from one of the two custody holders only",
    "elsewhere": "a § 43 consent naming another municipality's family department",
    "type-only": "a § 43 consent naming only an organisation type (municipality)",
}
FAMILY_STATES: dict[str, str] = {
    "none": "no objection or block",
    "objection": "an objection to every disclosure",
    "withdrawn-objection": "an objection since withdrawn",
    "block-professional": "a block on the requester by name",
    "block-organisation": "a block on the requester's organisation",
    "block-source": "a block on records from the BUP Aalborg outpatient clinic",
    "block-period": "a block on everyone for a period",
    "lifted-block": "a block on the requester's organisation, lifted",
    "expired-block": "a block on the requester's organisation that ended last week",
}
AGE_BANDS: dict[str, str] = {
    "9": "a 9-year-old",
    "14": "a 14-year-old",
    "15-today": "a young person turning 15 today",
    "17": "a 17-year-old",
    "unknown": "a child the CPR register does not know",
}
RELATION_STATES: dict[str, str] = {
    "none": "no relation to the child",
    "consultation-today": "the child's GP clinic, with a consultation today",
    "consultation-40-days-ago": "the child's GP clinic, last consultation 40 days ago",
    "consultation-booked": "the child's GP clinic, with a consultation booked in 5 days",
    "course": "an active course of treatment at the requester's unit",
    "open-case": "an open case at the requester's unit",
    "case-elsewhere": "an open case in another municipality only",
}


@dataclass(frozen=True)
class Situation:
    """One input: who asks, for what, about which child, in which facts."""

    key: str
    words: str
    role: str
    document: dict[str, Any]


@dataclass
class Corpus:
    situations: list[Situation]
    categories: int

    @property
    def size(self) -> int:
        """Decisions: one per data category per input."""
        return sum(len(s.document["resource"]["categories"]) for s in self.situations)

    def digest(self) -> str:
        """A content hash of every input: same seed and size, same hash."""
        h = hashlib.sha256()
        for s in self.situations:
            h.update(s.key.encode())
            h.update(json.dumps(s.document, sort_keys=True).encode())
        return "sha256:" + h.hexdigest()[:16]


def _cpr(born: date, n: int) -> str:
    """A synthetic replacement-style number (day + 60), unique per situation."""
    return f"{born.day + 60:02d}{born.month:02d}{born.year % 100:02d}4{n % 1000:03d}"


def _birth(band: str, rng: random.Random) -> date:
    if band == "15-today":
        return DAY.replace(year=DAY.year - 15)
    age = int(band) if band.isdigit() else 10
    return DAY.replace(year=DAY.year - age - 1) + timedelta(days=rng.randint(1, 360))


@dataclass
class _Builder:
    cat: Catalogue
    orgs: dict[str, Organisation]
    rng: random.Random
    children: dict[str, Child] = field(default_factory=dict)
    registries: dict[str, RegistryState] = field(default_factory=dict)

    def organisation(self, role: str) -> Organisation:
        org_id = ORGANISATION_OF_ROLE.get(role, PSYCHIATRY_UNIT)
        return self.orgs[org_id]

    def build(
        self, n: int, role: str, purpose: str, consent: str, family: str, age: str, relation: str
    ) -> DecisionRequest:
        org = self.organisation(role)
        requester = f"requester-{role}"
        born = _birth(age, self.rng)
        cpr = next(c for k in range(1000) if (c := _cpr(born, n + k)) not in self.registries)
        mother, father = f"{cpr[:6]}4{(2 * n) % 1000:03d}", f"{cpr[:6]}4{(2 * n + 1) % 1000:03d}"
        holders = (mother, father)
        record = ChildRecord(
            cpr=cpr,
            name="Corpus Child",
            birth_date=born,
            custody_holders=holders,
            registered_gp=org.id if relation.startswith("consultation") else None,
            holder_relations=("mother", "father"),
        )
        child = Child(record=record, municipality="851", divorced=False, school={})
        if relation == "consultation-today":
            child.consultations.append(DAY)
        elif relation == "consultation-40-days-ago":
            child.consultations.append(DAY - timedelta(days=40))
        elif relation == "consultation-booked":
            child.consultations.append(DAY + timedelta(days=5))
        elif relation == "course":
            child.course_department = org.id
        elif relation in ("open-case", "case-elsewhere"):
            unit = org.id if relation == "open-case" else OTHER_MUNICIPALITY_UNIT
            child.cases.append(Case("case-1", unit, "27.24", requester, True))
        self.registries[cpr] = self._registry(record, org, requester, consent, family, age)
        if age != "unknown":
            self.children[cpr] = child
        subject: dict[str, Any] = {
            "id": requester,
            "role": role,
            "organisation": {"type": org.type, "id": org.id},
            "health_professional": role in HEALTH_PROFESSIONAL_ROLES,
        }
        if role == "bup_medical_secretary" and self.rng.random() < 0.5:
            subject["acting_for"] = {"id": "dr-corpus", "role": "bup_psychiatrist"}
        context: dict[str, Any] = {"purpose": purpose}
        if role in HEALTH_PROFESSIONAL_ROLES and self.rng.random() < 0.2:
            context["override"] = {
                "grounds": "citizen_unreachable",
                "reason": "Acute treatment, the family cannot be reached",
            }
        request = DecisionRequest.model_validate(
            {
                "subject": subject,
                "action": "view",
                "resource": {"child_cpr": cpr, "categories": list(self.cat.categories)},
                "context": context,
            }
        )
        return request

    def _registry(
        self,
        child: ChildRecord,
        org: Organisation,
        requester: str,
        consent: str,
        family: str,
        age: str,
    ) -> RegistryState:
        adult = age in ("15-today", "17")
        deciders = [child.cpr] if adult else list(child.custody_holders)
        capacity: Literal["child", "custody_holder"] = "child" if adult else "custody_holder"
        given = DAY - timedelta(days=30)
        state = RegistryState()
        if consent != "none":
            regime = consent if consent in ("fvl-28-2-1", "sul-42a-3") else "sul-43-1"
            recipient: dict[str, str | None] = {
                "organisation_type": org.type,
                "organisation_id": org.id,
            }
            if consent == "elsewhere":
                recipient = {"organisation_type": "municipality", "organisation_id": "787-family"}
            elif consent == "type-only":
                recipient = {"organisation_type": "municipality", "organisation_id": None}
            givers = deciders[:1] if consent == "one-holder" else deciders
            for i, giver in enumerate(givers):
                state.consents.append(
                    ConsentFact(
                        id=f"consent-{i}",
                        regime=regime,
                        giver=giver,
                        capacity=capacity,
                        categories=list(self.cat.categories),
                        recipient=recipient,
                        form="oral" if regime == "sul-42a-3" else "written",
                        given_on=given,
                        valid_until=DAY - timedelta(days=1)
                        if consent == "expired"
                        else given + timedelta(days=364),
                        revoked_at="2026-11-20T10:00:00+00:00" if consent == "revoked" else None,
                    )
                )
        if family in ("objection", "withdrawn-objection"):
            state.objections.append(
                ObjectionFact(
                    id="objection-1",
                    person=deciders[-1],
                    withdrawn_at="2026-11-20T10:00:00+00:00"
                    if family == "withdrawn-objection"
                    else None,
                )
            )
        if family.endswith("block") or family.startswith("block"):
            kinds: dict[str, tuple[Any, str | None, bool]] = {
                "block-professional": ("professional", requester, False),
                "block-organisation": ("organisation", org.id, False),
                "block-source": ("source_organisation", PSYCHIATRY_UNIT, True),
                "block-period": ("period", None, False),
                "lifted-block": ("organisation", org.id, False),
                "expired-block": ("organisation", org.id, False),
            }
            kind, target, subs = kinds[family]
            state.blocks.append(
                BlockFact(
                    id="block-1",
                    target=BlockTarget(kind=kind, id=target, include_sub_units=subs),
                    valid_from=DAY - timedelta(days=60),
                    valid_until=DAY - timedelta(days=7) if family == "expired-block" else None,
                    lifted_at="2026-11-20T10:00:00+00:00" if family == "lifted-block" else None,
                )
            )
        return state


def _words(cat: Catalogue, orgs: dict[str, Organisation], role: str, dims: Sequence[str]) -> str:
    purpose, consent, family, age, relation = dims
    org = orgs[ORGANISATION_OF_ROLE.get(role, PSYCHIATRY_UNIT)]
    label = cat.roles[role].label if role in cat.roles else role
    return (
        f"A {label} at {org.name}, for the purpose {purpose.replace('_', ' ')}, looks up "
        f"{AGE_BANDS[age]} with two custody holders. Consent: {CONSENT_STATES[consent]}. "
        f"The family: {FAMILY_STATES[family]}. Relation: {RELATION_STATES[relation]}."
    )


def corpus_staff(cat: Catalogue, orgs: dict[str, Organisation]) -> StaffRegister:
    """The staff register of the corpus: every requester on their organisation's
    staff list (the health professionals authorised), and the psychiatrist a
    secretary may act for, so that the policy's verified facts hold what the
    corpus means."""
    members = [
        member(f"requester-{role}", role, orgs[ORGANISATION_OF_ROLE.get(role, PSYCHIATRY_UNIT)].id)
        for role in sorted(cat.roles)
    ]
    members.append(member("dr-corpus", "bup_psychiatrist", PSYCHIATRY_UNIT))
    return register_of(members)


def corpus(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> Corpus:
    """A seeded sample of the situation space: same seed and size, same corpus."""
    cat = catalogue()
    orgs = organisations()
    rng = random.Random(seed)
    axes: list[list[str]] = [
        sorted(cat.roles),
        list(cat.purposes),
        list(CONSENT_STATES),
        list(FAMILY_STATES),
        list(AGE_BANDS),
        list(RELATION_STATES),
    ]
    space = 1
    for axis in axes:
        space *= len(axis)
    picks = sorted(rng.sample(range(space), min(size, space)))
    builder = _Builder(cat, orgs, rng)
    requests: list[tuple[str, str, str, DecisionRequest]] = []
    for n, index in enumerate(picks):
        dims: list[str] = []
        for axis in reversed(axes):
            index, at = divmod(index, len(axis))
            dims.append(axis[at])
        relation, age, family, consent, purpose, role = dims
        request = builder.build(n, role, purpose, consent, family, age, relation)
        key = "/".join((role, purpose, consent, family, age, relation))
        words = _words(cat, orgs, role, (purpose, consent, family, age, relation))
        if request.context.override is not None:
            key += "/override"
            words += " The requester overrides the family's block: the family cannot be reached."
        if request.subject.acting_for is not None:
            key += "/acting-for-clinician"
            words += " The secretary acts for a named psychiatrist."
        requests.append((key, words, role, request))
    population = Population(DAY, builder.children, {}, {}, [], [], [], corpus_staff(cat, orgs))
    facts = LocalFacts(population, in_memory_registry(lambda cpr: builder.registries[cpr]), orgs)
    point = DecisionPoint(engine=NoEngine(), facts=facts, handles=DEV_HANDLES)
    now = _now()

    async def documents() -> list[dict[str, Any]]:
        return [await point.document(r, now) for _, _, _, r in requests]

    docs = asyncio.run(documents())
    situations = [
        Situation(key, words, role, doc)
        for (key, words, role, _), doc in zip(requests, docs, strict=True)
    ]
    return Corpus(situations, len(cat.categories))


def _now() -> datetime:
    return datetime.combine(DAY, time(10, 0), tzinfo=UTC)


def scenario_situations(scenarios: Iterable[Scenario]) -> list[Situation]:
    """Every scenario's first question, built as the service builds it."""

    async def build() -> list[Situation]:
        found = []
        for scenario in scenarios:
            if scenario.refused_request is not None:
                continue
            world = World(scenario)
            try:
                document = await world.document()
            finally:
                world.close()
            words = f"Scenario {scenario.id}: {scenario.title}"
            found.append(Situation(f"scenario/{scenario.id}", words, "", document))
        return found

    return asyncio.run(build())
