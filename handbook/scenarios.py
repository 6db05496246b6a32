"""Compliance scenarios: small synthetic worlds written for lawyers.

A scenario file (scenarios/*.yaml) names the people in words ("mother",
"father", "child"), the facts, the question and the expected answer per data
category. This module turns one into a world held in memory (the CPR register,
relation evidence, the staff register), registry entries and a decision
request, so the same scenario runs in the handbook and through the API on every
engine. The organisations the scenarios name are in the register every
scenario's world shares (scenarios/world/organisations.yaml).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeAlias

import yaml
from pydantic import Field, model_validator

from facts.addressing import resolve
from facts.local import MemoryWorld
from facts.organisations import Organisation, OrganisationRegister, load_organisations
from handbook.expectations import AccessLogExpectation, Expectation, Strict
from policy.cpr import age_on
from policy.decision import DecisionRequest, Subject
from policy.facts import Authorisation, AuthorisationStatus, ChildRecord, Relation, StaffMember
from policy.paths import SCENARIO_DIR, SCENARIO_WORLD_DIR
from policy.persons import PersonHandles
from policy.sending import Grounds, SendQuestion, send_request
from registry.on_behalf import Write

__all__ = [
    "SCENARIO_DIR",
    "SEND_SCENARIO_DIR",
    "Scenario",
    "SendScenario",
    "load_scenario",
    "load_scenarios",
    "load_send_scenarios",
]

SEND_SCENARIO_DIR = SCENARIO_DIR / "correspondence"
"""Scenarios where the professional sends a message instead of looking something up."""

SCENARIO_ORGANISATIONS = SCENARIO_WORLD_DIR / "organisations.yaml"
"""The organisation register every scenario's world shares (the pilot's)."""

PROFESSIONS = {
    "gp": "Læge",
    "bup_psychiatrist": "Læge",
    "bup_psychologist": "Psykolog",
    "ppr_psychologist": "Psykolog",
}
"""The profession an authorised person in a role holds (synthetic mapping)."""

StaffRegister = dict[tuple[str, str], StaffMember]
"""Staff members by (organisation id, staff id)."""


def authorisation_id(organisation_id: str, staff_id: str) -> str:
    """A stable, invented five-character authorisation id."""
    digest = hashlib.sha256(f"{organisation_id}/{staff_id}".encode()).hexdigest().upper()
    return digest[:5]


def member(
    staff_id: str,
    role: str,
    organisation_id: str,
    authorisation: AuthorisationStatus | None = "valid",
) -> StaffMember:
    """A staff member of a scenario's world; authorised (with the given status) only
    in a role that has a profession, never a secretary or a social worker."""
    profession = PROFESSIONS.get(role)
    return StaffMember(
        id=staff_id,
        role=role,
        organisation_id=organisation_id,
        authorisation=Authorisation(
            id=authorisation_id(organisation_id, staff_id),
            profession=profession,
            status=authorisation,
        )
        if profession is not None and authorisation is not None
        else None,
    )


def register_of(members: list[StaffMember]) -> StaffRegister:
    return {(m.organisation_id, m.id): m for m in members}


@lru_cache(maxsize=1)
def _organisations() -> dict[str, Organisation]:
    return load_organisations(SCENARIO_ORGANISATIONS)


def scenario_organisations() -> dict[str, Organisation]:
    """The organisation register of the scenarios' worlds (a fresh dict each call)."""
    return dict(_organisations())


class ChildSpec(Strict):
    age: int | None = Field(
        default=None,
        description="A shorthand for a birth date: the child turned this age about 100 days "
        "before the scenario's date. Neither age nor born: the CPR register does not know "
        "the child",
    )
    born: dt.date | None = Field(
        default=None,
        description="The child's birth date, to test an age limit to the day (the 15th "
        "birthday, a consent given before it)",
    )
    custody_holders: list[str] = Field(default_factory=list)
    registered_gp: str | None = None
    municipality: str = Field(default="851", description="the municipality the child lives in")
    acting_municipality: str | None = Field(
        default=None,
        description="for a child placed outside the municipality that placed it: the "
        "municipality acting for the child (Retssikkerhedsloven § 9)",
    )

    @model_validator(mode="after")
    def _one_birth(self) -> ChildSpec:
        if self.age is not None and self.born is not None:
            raise ValueError("give the child's age or birth date (born), not both")
        return self

    @property
    def known(self) -> bool:
        """Does the CPR register know the child?"""
        return self.age is not None or self.born is not None


class ActingForSpec(Strict):
    id: str
    role: str
    health_professional: bool = True


class RequesterSpec(Strict):
    id: str = "requester-1"
    role: str
    organisation: str
    organisation_type: str
    health_professional: bool = False
    acting_for: ActingForSpec | None = Field(
        default=None, description="for a medical secretary: the clinician looked up for"
    )


_AUTHORISATION: dict[str, AuthorisationStatus | None] = {
    "valid": "valid",
    "suspended": "suspended",
    "revoked": "revoked",
    "none": None,
}


class StaffSpec(Strict):
    """One person on an organisation's staff list (the staff register)."""

    id: str
    role: str
    organisation: str
    authorisation: Literal["valid", "suspended", "revoked", "none"] = Field(
        default="valid",
        description="their health-professional authorisation in the national register; "
        "only a GP, psychiatrist or psychologist can hold one",
    )


class RelationSpec(Strict):
    """What the requester's organisation has with the child. Either the shorthand
    `kind` (a consultation on a day, an active course, an open case), which stands
    for the evidence it always meant, or `evidence` with its dates, graded by the
    policy exactly as evidence from the sources is."""

    kind: Literal["consultation", "treatment_course", "open_case"] | None = Field(
        default=None,
        description="shorthand: consultation (on today + days_from_today), treatment_course "
        "(an active referral), open_case (an open case in the unit)",
    )
    evidence: Literal["referral", "episode", "appointment", "consultation", "case"] | None = Field(
        default=None,
        description="referral, episode (of care), appointment, consultation (at a GP "
        "clinic) or case (in a municipal unit)",
    )
    organisation: str
    days_from_today: int = Field(
        default=0, description="the day, counted from the scenario's date, when no date is given"
    )
    date: dt.date | None = Field(
        default=None,
        description="received (referral), started (episode), held or booked (appointment, "
        "consultation), opened (case)",
    )
    ended_on: dt.date | None = Field(
        default=None, description="the last day of a referral, episode or case"
    )
    status: Literal["open", "closed"] | None = Field(
        default=None,
        description="open or closed (referral, episode, case); unset: closed when ended_on "
        "is given, else open",
    )

    @model_validator(mode="after")
    def _kind_or_evidence(self) -> RelationSpec:
        if (self.kind is None) == (self.evidence is None):
            raise ValueError("give either kind (shorthand) or evidence")
        return self

    def as_evidence(self, today: dt.date) -> Relation:
        """The evidence this relation stands for."""
        day = self.date or today + timedelta(days=self.days_from_today)
        if self.kind == "treatment_course":
            return Relation(type="referral", organisation_id=self.organisation)
        if self.kind == "open_case":
            return Relation(type="case", organisation_id=self.organisation)
        if self.kind == "consultation":
            return Relation(type="consultation", organisation_id=self.organisation, date=day)
        assert self.evidence is not None
        status = self.status or ("closed" if self.ended_on else "open")
        return Relation(
            type=self.evidence,
            organisation_id=self.organisation,
            date=day,
            ended_on=self.ended_on,
            active=status == "open",
        )


class ConsentSpec(Strict):
    given_by: str
    regime: str
    categories: list[str]
    recipient: dict[str, str]
    form: Literal["written", "oral"] = "written"
    valid_from: dt.date = Field(description="The day the consent was given")
    valid_until: dt.date | None = None
    purposes: list[str] = Field(default_factory=list)
    revoked: bool = False
    refused: str | None = Field(
        default=None,
        description="The registry must refuse to record it, with this problem type "
        "(e.g. not-entitled, invalid-request)",
    )


class ObjectionSpec(Strict):
    given_by: str
    categories: list[str] = Field(default_factory=list)
    refused: str | None = None


class BlockSpec(Strict):
    given_by: str | None = Field(
        default=None, description="Unset: the young person from 15, else the first custody holder"
    )
    target_kind: Literal["professional", "organisation", "source_organisation", "period"]
    target_id: str | None = None
    include_sub_units: bool = False
    categories: list[str] = Field(default_factory=list)
    valid_from: dt.date
    valid_until: dt.date | None = None


class OverrideSpec(Strict):
    grounds: Literal["citizen_consents", "citizen_unreachable"]
    reason: str


class RefusalSpec(Strict):
    """The decision request itself must be refused (problem+json), before any decision."""

    type: str = Field(description="problem type, e.g. invalid-request")
    field: str = Field(description="the field the refusal names, e.g. context.override.reason")


RegistryAction: TypeAlias = Literal["read"] | Write
"""Reading the registry, or one of the writes `registry.on_behalf` rules on."""


class RegistryAttemptSpec(Strict):
    """Someone tries to read or change the child's registry (after the scenario's
    own entries are recorded, before the question is asked)."""

    title: str
    by: str = Field(
        description="'requester' (the scenario's professional, with their own token) or a "
        "person of the scenario (mother, father, child...) with their own citizen login"
    )
    action: RegistryAction
    on_behalf_of: str | None = Field(
        default=None,
        description="For the requester recording or reporting: whose decision it is, by name",
    )
    document_reference: str | None = None
    consent: ConsentSpec | None = Field(
        default=None, description="record_consent: the consent (given_by is the person's)"
    )
    block: BlockSpec | None = Field(default=None, description="set_block: the block")
    entries_of: str | None = Field(
        default=None,
        description="revoke_consent, withdraw_objection: whose entries; lift_block: the "
        "block's target id",
    )
    expect: Literal["allowed", "refused"]
    status: int | None = Field(default=None, description="for a refusal: 403 or 422")


class StepSpec(Strict):
    """Something that happens after the first decision, then a new decision."""

    title: str
    revoke_consents_of: list[str] = Field(default_factory=list)
    withdraw_objections_of: list[str] = Field(default_factory=list)
    lift_blocks_on: list[str] = Field(
        default_factory=list,
        description="target ids of blocks to lift ('period' for period blocks)",
    )
    expect: dict[str, Expectation]


class Scenario(Strict):
    id: str = ""
    title: str
    legal_references: list[str]
    facts: str
    date: dt.date
    child: ChildSpec
    requester: RequesterSpec
    purpose: str
    staff_register: list[StaffSpec] | None = Field(
        default=None,
        description="Who the organisations' staff register knows. Unset: the requester as "
        "described (authorised when health_professional is true) and the clinician a "
        "secretary names (authorised when their health_professional is true), both in the "
        "requester's organisation.",
    )
    relations: list[RelationSpec] = Field(default_factory=list)
    consents: list[ConsentSpec] = Field(default_factory=list)
    objections: list[ObjectionSpec] = Field(default_factory=list)
    blocks: list[BlockSpec] = Field(default_factory=list)
    override: OverrideSpec | None = None
    access_log: AccessLogExpectation | None = Field(
        default=None, description="what the citizen's access log shows after the scenario"
    )
    registry_attempts: list[RegistryAttemptSpec] = Field(default_factory=list)
    ask: list[str]
    expect: dict[str, Expectation] = Field(default_factory=dict)
    refused_request: RefusalSpec | None = None
    then: list[StepSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _expects_something(self) -> Scenario:
        if self.expect and self.refused_request is not None:
            raise ValueError("give either expect (per category) or refused_request, not both")
        if self.refused_request is not None and self.then:
            raise ValueError("a refused request has no later steps")
        return self

    def cpr(self, person: str) -> str:
        """A stable synthetic CPR number for a person named in the scenario."""
        if person == "child":
            born = self.birth_date()
            return f"{born.day + 60:02d}{born.month:02d}{born.year % 100:02d}4{self._n(person)}"
        n = int(hashlib.sha256(person.encode()).hexdigest(), 16)
        day, month, year = 1 + n % 28, 1 + (n >> 8) % 12, 70 + (n >> 16) % 25
        return f"{day + 60:02d}{month:02d}{year:02d}{(n >> 24) % 4}{self._n(person)}"

    def _n(self, person: str) -> str:
        return f"{int(hashlib.sha256(person.encode()).hexdigest(), 16) % 1000:03d}"

    def person(self, handle: str, handles: PersonHandles) -> str:
        """The scenario's name for a person the service named by handle."""
        child = self.cpr("child")
        names = ["child", *self.child.custody_holders]
        return next((p for p in names if handles.handle(child, self.cpr(p)) == handle), handle)

    def birth_date(self) -> dt.date:
        if self.child.born is not None:
            return self.child.born
        age = self.child.age if self.child.age is not None else 10
        return self.date - timedelta(days=int(age * 365.25) + 100)

    def age(self) -> int | None:
        """The child's age on the scenario's date (None: the register does not know it)."""
        return age_on(self.birth_date(), self.date) if self.child.known else None

    def child_record(self) -> ChildRecord | None:
        """The CPR register's record of the child (None: the register does not know it)."""
        if not self.child.known:
            return None
        return ChildRecord(
            cpr=self.cpr("child"),
            name="Scenario Child",
            birth_date=self.birth_date(),
            custody_holders=tuple(self.cpr(p) for p in self.child.custody_holders),
            registered_gp=self.child.registered_gp,
            municipality=self.child.municipality,
            acting_municipality=self.child.acting_municipality,
        )

    def treatment_course(self) -> str | None:
        """The department of the child's active course (the last one named)."""
        found = None
        for r in self.relations:
            if r.kind == "treatment_course":
                found = r.organisation
        return found

    def gp_consultations(self) -> list[dt.date]:
        """The days of the child's consultations at its own GP clinic."""
        gp = self.child.registered_gp
        return [
            r.as_evidence(self.date).date or self.date
            for r in self.relations
            if r.kind == "consultation" and r.organisation == gp
        ]

    def open_cases(self) -> list[str]:
        """The units where the child has an open case."""
        return [r.organisation for r in self.relations if r.kind == "open_case"]

    def other_evidence(self) -> list[Relation]:
        """Relation evidence beyond the course, the GP's consultations and open cases."""
        gp = self.child.registered_gp
        return [
            r.as_evidence(self.date)
            for r in self.relations
            if r.kind not in ("treatment_course", "open_case")
            and not (r.kind == "consultation" and r.organisation == gp)
        ]

    def world(self) -> MemoryWorld:
        """The scenario's world: the child the CPR register knows, the relation
        evidence the relation service lists for it (the course's referral, the GP's
        consultations, open cases, then the rest, as written) and the staff register."""
        record = self.child_record()
        if record is None:
            return MemoryWorld(staff=register_of(self.staff()))
        evidence: list[Relation] = []
        course = self.treatment_course()
        if course is not None:
            evidence.append(Relation(type="referral", organisation_id=course))
        if record.registered_gp is not None:
            evidence += [
                Relation(type="consultation", organisation_id=record.registered_gp, date=day)
                for day in self.gp_consultations()
            ]
        evidence += [
            Relation(type="case", organisation_id=unit, active=True) for unit in self.open_cases()
        ]
        evidence += self.other_evidence()
        return MemoryWorld(
            children={record.cpr: record},
            evidence={record.cpr: evidence},
            staff=register_of(self.staff()),
        )

    def staff(self) -> list[StaffMember]:
        """The staff register of the scenario's world."""
        if self.staff_register is not None:
            return [
                member(s.id, s.role, s.organisation, _AUTHORISATION[s.authorisation])
                for s in self.staff_register
            ]
        who = self.requester
        found = [
            member(who.id, who.role, who.organisation, "valid" if who.health_professional else None)
        ]
        if who.acting_for is not None:
            clinician = who.acting_for
            status: AuthorisationStatus | None = "valid" if clinician.health_professional else None
            found.append(member(clinician.id, clinician.role, who.organisation, status))
        return found

    def consent_body(self, c: ConsentSpec) -> dict[str, Any]:
        body: dict[str, Any] = {
            "regime": c.regime,
            "categories": c.categories,
            "recipient": c.recipient,
            "purposes": c.purposes,
            "form": c.form,
            "given_on": c.valid_from.isoformat(),
        }
        if c.valid_until is not None:
            body["valid_until"] = c.valid_until.isoformat()
        return body

    def decider(self) -> str:
        """Who decides for the child today: the young person from 15, else a custody holder."""
        if (self.age() or 0) >= 15 or not self.child.custody_holders:
            return "child"
        return self.child.custody_holders[0]

    def objection_body(self, o: ObjectionSpec) -> dict[str, Any]:
        return {"categories": o.categories}

    def block_body(self, b: BlockSpec) -> dict[str, Any]:
        return b.model_dump(mode="json", exclude={"given_by"}, exclude_none=True)

    def block_giver(self, b: BlockSpec) -> str:
        """The name of who asked for the block: the scenario's, else today's decider."""
        return b.given_by or self.decider()

    def decision_body(self) -> dict[str, Any]:
        context: dict[str, Any] = {"purpose": self.purpose}
        if self.override:
            context["override"] = self.override.model_dump()
        return {
            "subject": {
                "id": self.requester.id,
                "role": self.requester.role,
                "organisation": {
                    "type": self.requester.organisation_type,
                    "id": self.requester.organisation,
                },
                "health_professional": self.requester.health_professional,
                **(
                    {"acting_for": self.requester.acting_for.model_dump()}
                    if self.requester.acting_for
                    else {}
                ),
            },
            "action": "view",
            "resource": {"child_cpr": self.cpr("child"), "categories": self.ask},
            "context": context,
        }


def load_scenario(path: Path) -> Scenario:
    """One scenario file; its id is the file's name without .yaml."""
    scenario = Scenario.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    scenario.id = path.stem
    if not scenario.expect and scenario.refused_request is None:
        # A scenario file is a test: it must say what the service answers.
        raise ValueError(f"{path.name}: give expect (per category) or refused_request")
    return scenario


def load_scenarios(folder: Path = SCENARIO_DIR) -> list[Scenario]:
    return [load_scenario(path) for path in sorted(folder.glob("*.yaml"))]


class SendSpec(Strict):
    """The message the requester tries to send (with their own token)."""

    write_to: str = Field(description="the recipient's handle, as the overview gives it")
    topic: str
    text: str = "A synthetic message about the child."
    grounds: Grounds | None = None


class SendExpectation(Expectation):
    """The expected answer on a send: the policy's outcome, and for a topic with its
    own channel, the channel the refusal names."""

    channel: str | None = Field(default=None, description="the id of the channel to use instead")


class SendScenario(Scenario):
    """A professional sends a message about the child; the policy decides first."""

    ask: list[str] = Field(default_factory=list)
    send: SendSpec
    expect_send: SendExpectation

    def question(self, register: OrganisationRegister) -> tuple[DecisionRequest, SendQuestion]:
        """The policy's question for the send, as the service asks it: the recipient
        read from the register by its handle."""
        subject = Subject.model_validate(self.decision_body()["subject"])
        question = SendQuestion.model_validate(
            {
                "topic": self.send.topic,
                "recipient": resolve(register, self.send.write_to).facts(),
                "grounds": self.send.grounds,
            }
        )
        return send_request(subject, self.cpr("child"), self.send.topic), question

    def message_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "child_cpr": self.cpr("child"),
            "write_to": self.send.write_to,
            "topic": self.send.topic,
            "text": self.send.text,
        }
        if self.send.grounds is not None:
            body["grounds"] = self.send.grounds.model_dump()
        return body


def load_send_scenarios(folder: Path = SEND_SCENARIO_DIR) -> list[SendScenario]:
    """The correspondence scenarios; each id is its file's name without .yaml."""
    found = []
    for path in sorted(folder.glob("*.yaml")):
        scenario = SendScenario.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        scenario.id = path.stem
        found.append(scenario)
    return found
