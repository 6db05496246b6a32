"""`hoi sandbox simulate`: months of synthetic use, through the real API.

The development app runs in-process on a simulated clock that moves through the
days; professionals of every sector ask about the synthetic children the way the
pilot saw it (caseworkers and PPR about their municipality's children, GPs about
their own patients, more often around a consultation, psychiatry about the
children in its care), families answer some missing-consent denies by giving a
consent a few days later, some families block a psychiatry department's
appointments, and on some days a source answers slowly or fails.
GPs' patients book consultations through the months; a GP asks mostly within
three days of one, sometimes at another time, inside the lookup window or
outside it (the simultaneity barrier the report measures).
Everything goes through the API with real tokens, so the audit trail holds what
a pilot's would, and `hoi evaluation report` can be shown on it.
"""

from __future__ import annotations

import argparse
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.settings import Settings
from auth.keys import dev_signing_key
from auth.tokens import mint
from sandbox.population import Child, Population, population
from sandbox.server import SandboxServer

ALL_CATEGORIES = [
    "psychiatry_appointments",
    "psychiatry_contacts",
    "municipal_case_status",
    "municipal_contacts",
    "school_daycare",
    "child_identity",
]


FAULTY_DAYS = 0.15
"""The share of working days on which one data source is slow or down."""
FACT_SOURCES = {"cpr", "brs", "staff", "fk-org", "network"}
"""The sandbox's fact sources, the organisation register and the message network:
kept healthy, so a day's trouble shows in the overviews' data, as the pilot's
data-quality findings did."""


BOOKING_RATE = 0.02
"""The chance on a working day that a GP's patient books a consultation 1 to 21
days ahead: GPs see their patients through the months, not once."""

GP_AWAY_SKIP = 0.4
"""The share of a GP's questions away from a consultation (more than three days
from one) that are not asked: the rest meet the window or the barrier."""

BLOCK_RATE = 0.004
"""The chance on a working day that a family of a child in psychiatry blocks the
department's appointments from the others (Sundhedsloven § 42a(5)): what the
report's `source_withheld` counts when a permitted overview loses records to it."""

SECTORS = ["family_department", "ppr", "gp", "psychiatry"]
KNOWN_SHARE = 0.7
"""The share of questions about a child the asking sector has a relation to."""


@dataclass
class SimClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Tally:
    lookups: int = 0
    overviews: int = 0
    consents: int = 0
    blocks: int = 0
    failures: int = 0
    by_sector: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Professional:
    sector: str
    subject: dict[str, Any]
    purpose: str


def _professionals(people: Population, child: Child, rng: random.Random) -> list[Professional]:
    """Who may plausibly ask about this child (their municipality's units, the GP,
    the psychiatry department)."""
    code = child.record.municipality or child.municipality
    found = [
        Professional(
            "family_department",
            _subject("municipal_caseworker", "municipality", f"{code}-family", rng),
            "social_case_work",
        ),
        Professional(
            "ppr",
            _subject("ppr_psychologist", "municipality", f"{code}-ppr", rng),
            "special_education_advice",
        ),
    ]
    if child.record.registered_gp:
        found.append(
            Professional(
                "gp",
                _subject("gp", "gp_clinic", child.record.registered_gp, rng, doctor=True),
                "treatment_preparation",
            )
        )
    if child.course_department:
        found.append(
            Professional(
                "psychiatry",
                _subject(
                    "bup_psychiatrist",
                    "region_psychiatry",
                    child.course_department,
                    rng,
                    doctor=True,
                ),
                "current_treatment",
            )
        )
    return found


def _subject(
    role: str, kind: str, organisation: str, rng: random.Random, *, doctor: bool = False
) -> dict[str, Any]:
    return {
        "id": f"sim-{role}-{organisation}-{rng.randint(1, 3)}",
        "role": role,
        "organisation": {"type": kind, "id": organisation},
        "health_professional": doctor,
    }


class Simulation:
    """One in-process service on a simulated clock, and the tokens to call it."""

    def __init__(self, settings: Settings, people: Population, clock: SimClock) -> None:
        from sandbox.app import create_app

        self.settings = settings
        self.people = people
        self.clock = clock
        self.key = dev_signing_key(settings.resolved_dev_key_file)
        self.app = create_app(settings, population=people, clock=clock)
        self.client = TestClient(self.app)

    @contextmanager
    def running(self) -> Iterator[Simulation]:
        with self.client:
            yield self

    def sources(self) -> SandboxServer | None:
        sandbox: SandboxServer | None = getattr(self.app.state.services, "sandbox", None)
        return sandbox

    def weather(self, rng: random.Random) -> str | None:
        """Today's trouble at one data source, if any: slow (0.6 s) or down (503)."""
        server = self.sources()
        if server is None:
            return None
        server.reset()
        if rng.random() >= FAULTY_DAYS:
            return None
        name = rng.choice(sorted(set(server.sources) - FACT_SOURCES))
        control = server.control(name).control
        if rng.random() < 0.5:
            control.delay_s = 0.6
        else:
            control.fail_status = 503
        return name

    def headers(self, subject: dict[str, Any], **claims: Any) -> dict[str, str]:
        token = mint(
            self.key,
            issuer=self.settings.auth_issuer,
            audience=self.settings.auth_audience,
            subject=subject["id"],
            role=subject["role"],
            organisation=subject.get("organisation"),
            health_professional=bool(subject.get("health_professional")),
            **claims,
        )
        return {"authorization": f"Bearer {token}"}

    def lookup(self, who: Professional, child: Child, categories: list[str]) -> dict[str, Any]:
        body = {
            "resource": {"child_cpr": child.record.cpr, "categories": categories},
            "context": {"purpose": who.purpose},
        }
        response = self.client.post("/v1/decisions", json=body, headers=self.headers(who.subject))
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def overview(self, who: Professional, child: Child) -> None:
        response = self.client.get(
            f"/v1/children/{child.record.cpr}/overview",
            params={"purpose": who.purpose},
            headers=self.headers(who.subject),
        )
        response.raise_for_status()

    def _as_family(self, child: Child, holder: str, what: str, body: dict[str, Any]) -> bool:
        """A custody holder writes to the registry with their own citizen login."""
        citizen = {"id": f"sim-citizen-{holder[-4:]}", "role": "citizen"}
        response = self.client.post(
            f"/v1/children/{child.record.cpr}/{what}",
            json=body,
            headers=self.headers(citizen, cpr=holder),
        )
        return response.status_code == 201

    def consent(
        self, child: Child, holder: str, regime: str, who: Professional, categories: list[str]
    ) -> bool:
        """A custody holder gives the consent a professional found missing."""
        body = {
            "regime": regime,
            "categories": categories,
            "recipient": {"organisation_id": who.subject["organisation"]["id"]},
            "form": "written",
            "given_on": self.clock().date().isoformat(),
        }
        return self._as_family(child, holder, "consents", body)

    def block(self, child: Child, holder: str, department: str) -> bool:
        """A custody holder blocks a psychiatry department's appointments."""
        body = {
            "target_kind": "source_organisation",
            "target_id": department,
            "include_sub_units": False,
            "categories": ["psychiatry_appointments"],
            "valid_from": self.clock().date().isoformat(),
        }
        return self._as_family(child, holder, "blocks", body)


def _missing(answer: dict[str, Any]) -> tuple[str, list[str]] | None:
    """The regime and categories a deny says a consent would open, if any."""
    regimes: dict[str, list[str]] = {}
    for category, outcome in answer["categories"].items():
        for reason in outcome["reasons"]:
            if reason["code"] == "missing_consent" and reason["legal_basis"]:
                regimes.setdefault(reason["legal_basis"][0], []).append(category)
    if not regimes:
        return None
    regime = max(regimes, key=lambda r: len(regimes[r]))
    return regime, regimes[regime]


def simulate(settings: Settings, days: int, *, per_day: int, seed: int, start: date) -> Tally:
    rng = random.Random(seed)
    people = population(start)
    children = sorted(people.children.values(), key=lambda c: c.record.cpr)
    pools = {
        "family_department": [
            c for c in children if any(k.unit.endswith("-family") for k in c.cases)
        ],
        "ppr": [c for c in children if any(k.unit.endswith("-ppr") for k in c.cases)],
        "gp": [c for c in children if c.consultations],
        "psychiatry": [c for c in children if c.course_department],
    }
    clock = SimClock(datetime.combine(start, time(8), tzinfo=UTC))
    tally = Tally()
    pending: list[tuple[date, Child, str, str, Professional, list[str]]] = []
    sim = Simulation(settings, people, clock)
    with sim.running():
        for offset in range(days):
            day = start + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            clock.now = datetime.combine(day, time(8), tzinfo=UTC)
            sim.weather(rng)
            for patient in pools["gp"]:  # the relation source reads them live
                if rng.random() < BOOKING_RATE:
                    patient.consultations.append(day + timedelta(days=rng.randint(1, 21)))
            for child in pools["psychiatry"]:
                holders = child.record.custody_holders
                if holders and child.course_department and rng.random() < BLOCK_RATE:
                    tally.blocks += sim.block(child, holders[0], child.course_department)
            for due in [p for p in pending if p[0] <= day]:
                pending.remove(due)
                _, child, holder, regime, who, categories = due
                tally.consents += sim.consent(child, holder, regime, who, categories)
            for _ in range(per_day):
                clock.now += timedelta(minutes=rng.randint(1, 12))
                sector = rng.choice(SECTORS)
                known = pools[sector]
                # Most questions are about a child the professional works with.
                child = rng.choice(known if known and rng.random() < KNOWN_SHARE else children)
                options = _professionals(people, child, rng)
                who = next((p for p in options if p.sector == sector), rng.choice(options))
                near = any(abs((c - day).days) <= 3 for c in child.consultations)
                if who.sector == "gp" and not near and rng.random() < GP_AWAY_SKIP:
                    continue  # GPs ask mostly around a consultation
                try:
                    if rng.random() < 0.3:
                        sim.overview(who, child)
                        tally.overviews += 1
                        continue
                    asked = rng.sample(ALL_CATEGORIES, rng.randint(1, 4))
                    answer = sim.lookup(who, child, asked)
                except Exception:  # a refused call is part of the simulation, counted
                    tally.failures += 1
                    continue
                tally.lookups += 1
                tally.by_sector[who.sector] = tally.by_sector.get(who.sector, 0) + 1
                missing = _missing(answer)
                if missing and child.record.custody_holders and rng.random() < 0.35:
                    regime, categories = missing
                    wait = rng.choice([0, 1, 2, 3, 5, 8, 14, 21, 40])
                    for holder in child.record.custody_holders:
                        pending.append(
                            (day + timedelta(days=wait), child, holder, regime, who, categories)
                        )
    return tally


def run(args: argparse.Namespace) -> int:
    from api.settings import get_settings

    # A source's bad day makes the broker retry: expected here, not news.
    logging.getLogger("stamina").setLevel(logging.ERROR)

    base = get_settings()
    var = Path(args.var_dir)
    settings = base.model_copy(
        update={
            "var_dir": var,
            "database_url": f"sqlite:///{var / 'simulation.db'}",
            "demo_reference_date": args.start,
            "handbook_at_start": False,
        }
    )
    var.mkdir(parents=True, exist_ok=True)
    (var / "simulation.db").unlink(missing_ok=True)
    tally = simulate(settings, args.days, per_day=args.per_day, seed=args.seed, start=args.start)
    last = args.start + timedelta(days=args.days - 1)
    print(
        f"simulated {args.days} days from {args.start}: {tally.lookups} lookups, "
        f"{tally.overviews} overviews, {tally.consents} consents and {tally.blocks} blocks "
        "recorded by families, "
        f"{tally.failures} refused calls; by sector {dict(sorted(tally.by_sector.items()))}\n"
        f"audit trail: {settings.resolved_database_url}\n"
        f"report: HOI_DATABASE_URL={settings.resolved_database_url} hoi evaluation report "
        f"--from {args.start} --to {last} --out var/evaluation"
    )
    return 0
