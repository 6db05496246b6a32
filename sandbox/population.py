"""A deterministic synthetic population: children, custody holders, GP
registrations and consultations, psychiatry courses and appointments,
municipal cases, schools, and the consents, objections and blocks families
have given.

Same seed and reference date, same population. CPR numbers are replacement
style (day + 60) so none can be an ordinary person's number; names are
invented and marked as such by their surnames.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from policy.facts import ChildRecord, HolderRelation, Relation, StaffMember
from sandbox.pilot import BUP_DEPARTMENTS, MUNICIPALITIES, gp_clinics_in
from sandbox.staff import StaffRegister, pilot_staff

FIRST_NAMES = (
    "Ida",
    "Freja",
    "Clara",
    "Alma",
    "Ella",
    "Sofia",
    "Karla",
    "Agnes",
    "Lea",
    "Olivia",
    "William",
    "Noah",
    "Oscar",
    "Lucas",
    "Carl",
    "Emil",
    "Alfred",
    "Valdemar",
    "Aksel",
    "Malthe",
    "Anne",
    "Mette",
    "Hanne",
    "Louise",
    "Maria",
    "Peter",
    "Jens",
    "Lars",
    "Henrik",
    "Thomas",
)
SURNAMES = (
    "Prøvesen",
    "Eksempelsen",
    "Fiktivsen",
    "Demodal",
    "Sandkassen",
    "Testrup",
    "Modelgaard",
    "Skitsholm",
)
BUP_DEPARTMENTS_FIRST = next(iter(BUP_DEPARTMENTS))
KLE_GROUPS = ("27.24", "27.12", "27.18", "17.13")  # synthetic picks from KLE subject groups
SCHOOL_KINDS = ("folkeskole", "friskole", "dagtilbud", "specialskole")


@dataclass(frozen=True)
class Appointment:
    id: str
    department: str
    date: date
    time: str
    status: str


@dataclass(frozen=True)
class Case:
    id: str
    unit: str
    kle: str
    caseworker_id: str
    open: bool


@dataclass(frozen=True)
class Caseworker:
    id: str
    name: str
    unit: str
    phone: str
    secure_mail: str


def registered_relation(parent_cpr: str) -> HolderRelation:
    """The synthetic CPR register's parent relation: by the number's sex digit
    (the last digit is even for women), as the register assigns numbers."""
    return "mother" if int(parent_cpr[-1]) % 2 == 0 else "father"


@dataclass
class Child:
    record: ChildRecord
    municipality: str
    divorced: bool
    school: dict[str, str]
    appointments: list[Appointment] = field(default_factory=list)
    course_department: str | None = None
    consultations: list[date] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    evidence: list[Relation] = field(default_factory=list)
    """Further relation evidence, any organisation (scenarios write it)."""


@dataclass
class Population:
    reference_date: date
    children: dict[str, Child]
    persons: dict[str, ChildRecord]
    caseworkers: dict[str, Caseworker]
    consents: list[dict[str, Any]]
    objections: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    staff: StaffRegister = field(default_factory=dict)
    """The organisations' staff register (staff lists with authorisations)."""

    def child_record(self, cpr: str) -> ChildRecord | None:
        """The CPR register's record of a child of the population."""
        child = self.children.get(cpr)
        return child.record if child else None

    def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        """The person on the organisation's staff list, if they are on it."""
        return self.staff.get((organisation_id, staff_id))

    def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        """The organisation's relation evidence for the child (BRS style): its
        referral, appointments, consultations and cases. The policy grades it."""
        child = self.children.get(cpr)
        if child is None:
            return []
        found: list[Relation] = []
        if child.course_department == organisation_id:
            found.append(Relation(type="referral", organisation_id=organisation_id))
        found += [
            Relation(type="appointment", organisation_id=organisation_id, date=a.date)
            for a in child.appointments
            if a.department == organisation_id
        ]
        if child.record.registered_gp == organisation_id:
            found += [
                Relation(type="consultation", organisation_id=organisation_id, date=d)
                for d in child.consultations
            ]
        found += [
            Relation(type="case", organisation_id=c.unit, active=c.open)
            for c in child.cases
            if c.unit == organisation_id
        ]
        found += [e for e in child.evidence if e.organisation_id == organisation_id]
        return found


def _cpr(rng: random.Random, born: date, used: set[str]) -> str:
    """A replacement-style number (day + 60) with the right century digit."""
    digit7 = "4" if born.year >= 2000 else str(rng.randint(0, 3))
    while True:
        serial = f"{digit7}{rng.randint(0, 999):03d}"
        cpr = f"{born.day + 60:02d}{born.month:02d}{born.year % 100:02d}{serial}"
        if cpr not in used:
            used.add(cpr)
            return cpr


# Birth dates count back from a fixed day, so CPR numbers stay the same from
# day to day; event dates (appointments, consultations, consents) follow the
# reference date so the demo always has something current.
BIRTH_ANCHOR = date(2026, 11, 1)


def _birth(rng: random.Random, min_age: float, max_age: float) -> date:
    return BIRTH_ANCHOR - timedelta(days=int(rng.uniform(min_age, max_age) * 365.25))


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _consent(
    child: str,
    giver: str,
    regime: str,
    categories: list[str],
    recipient: dict[str, str],
    start: date,
    days: int,
) -> dict[str, Any]:
    return {
        "child_cpr": child,
        "regime": regime,
        "given_by": giver,
        "categories": categories,
        "recipient": recipient,
        "form": "written",
        "valid_from": start,
        "valid_until": start + timedelta(days=days),
    }


PSYCHIATRY = ["psychiatry_appointments", "psychiatry_contacts"]
MUNICIPAL = ["municipal_case_status", "municipal_contacts", "school_daycare"]


def generate(reference_date: date, children: int = 520, seed: int = 20261126) -> Population:
    """Build the population; the first children are the README's named stories."""
    rng = random.Random(seed)
    used: set[str] = set()
    persons: dict[str, ChildRecord] = {}
    kids: dict[str, Child] = {}
    consents: list[dict[str, Any]] = []
    objections: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    caseworkers: dict[str, Caseworker] = {}
    codes = ["851", "810", "849", "787", "840"]
    for code in codes:
        for unit in (f"{code}-family", f"{code}-ppr"):
            for n in range(1, 4):
                cw = Caseworker(
                    id=f"cw-{unit}-{n}",
                    name=_name(rng),
                    unit=unit,
                    phone=f"+45 99 {code[:2]} {code[2:]}{n} {n}{n}",
                    secure_mail=f"cw{n}.{unit}@kommune.example",
                )
                caseworkers[cw.id] = cw

    def parent(child_born: date) -> str:
        born = child_born - timedelta(days=int(rng.uniform(24, 42) * 365.25))
        cpr = _cpr(rng, born, used)
        persons[cpr] = ChildRecord(cpr=cpr, name=_name(rng), birth_date=born, custody_holders=())
        return cpr

    for i in range(children):
        code = codes[i % len(codes)]
        story = i < 5
        age_band = (
            [(11.2, 12.8), (8, 10), (16, 16.9), (10, 12), (13, 14.5)][i]
            if story
            else (rng.choice([(3, 9.9), (10, 14.8), (15.1, 17.9)]))
        )
        born = _birth(rng, *age_band)
        cpr = _cpr(rng, born, used)
        two = story or rng.random() < 0.75
        holders: tuple[str, ...] = (parent(born), parent(born)) if two else (parent(born),)
        divorced = i in (1, 2) or (two and not story and rng.random() < 0.3)
        gp = gp_clinics_in(code)[i % len(gp_clinics_in(code))]
        record = ChildRecord(
            cpr=cpr,
            name=_name(rng),
            birth_date=born,
            custody_holders=holders,
            registered_gp=gp,
            municipality=code,
            holder_relations=tuple(registered_relation(h) for h in holders),
        )
        persons[cpr] = record
        child = Child(
            record=record,
            municipality=code,
            divorced=divorced,
            school={
                "institution_name": f"{rng.choice(['Nord', 'Syd', 'Øster', 'Vester'])}"
                f"skolen ({MUNICIPALITIES[code]})",
                "institution_type": "dagtilbud"
                if born > BIRTH_ANCHOR - timedelta(days=6 * 365)
                else rng.choice(SCHOOL_KINDS[:2] + SCHOOL_KINDS[3:]),
                "class_or_group": f"{rng.randint(0, 9)}.{rng.choice('abc')}",
            },
        )
        if story or rng.random() < 0.4:
            dept = list(BUP_DEPARTMENTS)[i % len(BUP_DEPARTMENTS)]
            child.course_department = dept
            for n in range(rng.randint(2, 5)):
                day = reference_date + timedelta(days=rng.randint(-60, 60))
                child.appointments.append(
                    Appointment(
                        id=f"appt-{i:04d}-{n}",
                        department=dept,
                        date=day,
                        time=f"{rng.randint(8, 15):02d}:{rng.choice(['00', '30'])}",
                        status="fulfilled" if day < reference_date else "booked",
                    )
                )
        if story or rng.random() < 0.5:
            child.consultations.append(reference_date + timedelta(days=rng.randint(-10, 10)))
        if story or rng.random() < 0.45:
            unit = f"{code}-{'ppr' if i % 3 == 0 and not story else 'family'}"
            child.cases.append(
                Case(
                    id=f"case-{i:04d}",
                    unit=unit,
                    kle=rng.choice(KLE_GROUPS),
                    caseworker_id=f"cw-{unit}-{1 + i % 3}",
                    open=True,
                )
            )
        kids[cpr] = child
        start = reference_date - timedelta(days=rng.randint(10, 200))
        # Consents name their recipient: the municipality's family department,
        # the child's own GP clinic, the child's psychiatry department.
        municipality = {"organisation_id": f"{code}-family"}
        gp_recipient = {"organisation_id": gp}
        if i == 0:  # both parents consent: the caseworker may see psychiatry data
            for h in holders:
                consents.append(_consent(cpr, h, "sul-43-1", PSYCHIATRY, municipality, start, 300))
        elif i == 1:  # divorced: mother consents, father objects
            consents.append(
                _consent(cpr, holders[0], "sul-43-1", PSYCHIATRY, municipality, start, 300)
            )
            objections.append({"child_cpr": cpr, "given_by": holders[1], "categories": PSYCHIATRY})
        elif i == 2:  # 16 and refuses what the parents consented to
            for h in holders:
                consents.append(_consent(cpr, h, "sul-43-1", PSYCHIATRY, municipality, start, 300))
            objections.append({"child_cpr": cpr, "given_by": cpr, "categories": []})
        elif i == 3:  # the GP sees the municipal overview around a consultation
            for h in holders:
                consents.append(_consent(cpr, h, "fvl-28-2-1", MUNICIPAL, gp_recipient, start, 300))
        elif i == 4:  # a block on one psychiatry department's staff
            blocks.append(
                {
                    "child_cpr": cpr,
                    "target_kind": "organisation",
                    "target_id": child.course_department,
                    "categories": [],
                    "valid_from": start,
                }
            )
            for h in holders:
                consents.append(
                    _consent(
                        cpr,
                        h,
                        "fvl-28-2-1",
                        MUNICIPAL,
                        {"organisation_id": child.course_department or BUP_DEPARTMENTS_FIRST},
                        start,
                        300,
                    )
                )
        else:
            adult = record.birth_date <= BIRTH_ANCHOR - timedelta(days=15 * 366)
            deciders = (cpr,) if adult else holders
            roll = rng.random()
            if roll < 0.35:
                for h in deciders:
                    consents.append(
                        _consent(
                            cpr,
                            h,
                            "sul-43-1",
                            PSYCHIATRY,
                            municipality,
                            start,
                            rng.choice([200, 300, 500]),
                        )
                    )
            elif roll < 0.55:
                for h in deciders:
                    consents.append(
                        _consent(cpr, h, "fvl-28-2-1", MUNICIPAL, gp_recipient, start, 300)
                    )
            elif roll < 0.6 and len(deciders) == 2:
                consents.append(
                    _consent(cpr, deciders[0], "sul-43-1", PSYCHIATRY, municipality, start, 300)
                )
                objections.append(
                    {"child_cpr": cpr, "given_by": deciders[1], "categories": PSYCHIATRY}
                )
            elif roll < 0.63:
                blocks.append(
                    {
                        "child_cpr": cpr,
                        "target_kind": "organisation",
                        "target_id": gp,
                        "categories": [],
                        "valid_from": start,
                    }
                )
    return Population(
        reference_date, kids, persons, caseworkers, consents, objections, blocks, pilot_staff()
    )


@lru_cache(maxsize=4)
def population(reference_date: date) -> Population:
    """The default population for a reference date, built once."""
    return generate(reference_date)
