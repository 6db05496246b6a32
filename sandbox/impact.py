"""The policy impact report: what a policy change changes, before anyone relies on it.

A seeded corpus of synthetic situations (role x purpose x consent state x
objection/block state x age band x relation evidence, every data category asked
in each) and every compliance scenario are decided under a base policy (a git
ref's rego/ tree) and under the working tree's policy, on the embedded engine.
The report counts the decisions that changed, grouped by direction (newly
permitted first) and by rule, with one worked example per group in words.

The situations are built as the service builds them: domain facts (a child in a
synthetic population, its registry entries) go through the local facts
provider and the decision point into the engine input, so the corpus follows
the policy input when the service's input changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import json
import random
import subprocess
import tarfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from multiprocessing import get_context
from pathlib import Path
from time import perf_counter
from typing import Any, Literal

from engine.base import EngineError
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.pdp import DecisionPoint
from facts.local import LocalFacts
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
from policy.legal import legal_catalogue
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
    facts = LocalFacts(population, lambda cpr: builder.registries[cpr], orgs)
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


# --- evaluation ---------------------------------------------------------------------


Outcome = dict[str, Any]
"""A category's outcome, reduced to what a change is judged on."""


def _reduce(
    result: dict[str, Any], asked: list[str], fill: Callable[[str], str] = str
) -> dict[str, Outcome]:
    """Each asked category's outcome, its messages as a reader sees them (`fill`
    names the statutes a message cites by provision id, as the service does)."""
    categories = result.get("categories") or {}
    reduced: dict[str, Outcome] = {}
    for category in asked:
        raw = categories.get(category) or {}
        reduced[category] = {
            "decision": raw.get("decision", "deny"),
            "rule_id": raw.get("rule_id"),
            "fields": list(raw.get("fields") or []),
            "override": bool(raw.get("override")),
            "exclude_organisations": list(raw.get("exclude_organisations") or []),
            "reasons": [
                (r.get("code"), r.get("rule_id"), fill(str(r.get("message") or "")))
                for r in raw.get("reasons") or []
            ],
        }
    return reduced


HISTORICAL_AFTER_DAYS = 365
"""The former Python grading's horizon: any appointment within a year was a course."""


def _reads_graded_kinds(policy: Path) -> bool:
    """Does this policy predate relation evidence (it reads graded `kind`s)?"""
    relation = policy / "hoi" / "relation" / "relation.rego"
    return relation.exists() and ".kind ==" in relation.read_text(encoding="utf-8")


def _graded_kind(item: dict[str, Any], child: dict[str, Any], today: date) -> dict[str, Any] | None:
    """One piece of evidence as the former Python grading (before the policy graded
    evidence itself) handed it to the policy."""
    org, kind, day = item["organisation_id"], item["type"], item.get("date")
    on = date.fromisoformat(day) if day else None
    historical = {"kind": "historical", "organisation_id": org, "date": day, "active": False}
    if kind == "referral":
        course = {"kind": "treatment_course", "organisation_id": org, "active": True}
        return course if item.get("active") else historical
    if kind == "appointment" and on is not None:
        recent = on >= today - timedelta(days=HISTORICAL_AFTER_DAYS)
        return (
            {"kind": "treatment_course", "organisation_id": org, "date": day, "active": True}
            if recent
            else historical
        )
    if kind == "consultation" and on is not None and child.get("registered_gp") == org:
        return {"kind": "consultation", "organisation_id": org, "date": day, "active": True}
    if kind == "case":
        return (
            {"kind": "open_case", "organisation_id": org, "active": True}
            if item.get("active")
            else historical
        )
    return None


def with_graded_kinds(document: dict[str, Any]) -> dict[str, Any]:
    """The document for a base policy that predates relation evidence: the
    evidence graded the way the service graded it then, so that a comparison
    across that change shows the policy's difference, not the input's."""
    child = document.get("child", {})
    today = date.fromisoformat(document["context"]["date"])
    organisation = document["subject"]["organisation"]["id"]
    graded = [
        g
        for item in document["facts"].get("relations", [])
        if "type" in item and (g := _graded_kind(item, child, today)) is not None
    ]
    if child.get("registered_gp") == organisation:
        graded.append({"kind": "registered_gp", "organisation_id": organisation, "active": True})
    facts = {**document["facts"], "relations": graded}
    return {**document, "facts": facts}


def evaluate_all(policy: Path, documents: list[dict[str, Any]]) -> list[dict[str, Outcome]]:
    """Every document's outcomes under the policy in `policy` (a rego/ tree)."""
    engine = EmbeddedEngine(PolicyBundle(policy))
    legacy = _reads_graded_kinds(policy)
    fill = legal_catalogue().fill
    try:
        found = []
        for given in documents:
            document = with_graded_kinds(given) if legacy else given
            asked = list(document["resource"]["categories"])
            try:
                result = engine.evaluate_sync(document)
            except EngineError as exc:
                result = {"error": str(exc)}
            found.append(_reduce(result, asked, fill))
        return found
    finally:
        asyncio.run(engine.aclose())


def _revision(policy: Path) -> str:
    return PolicyBundle(policy).revision()


# --- comparison ---------------------------------------------------------------------

Direction = Literal[
    "newly_permitted", "newly_denied", "permit_changed", "deny_changed", "wording_changed"
]
DIRECTIONS: dict[Direction, str] = {
    "newly_permitted": "Newly permitted",
    "newly_denied": "Newly denied",
    "permit_changed": "Still permitted, on another rule or with other fields",
    "deny_changed": "Still denied, for other reasons",
    "wording_changed": "Same decision, rules, reason codes and fields; only a message's words",
}
DECISION_CHANGES: tuple[Direction, ...] = (
    "newly_permitted",
    "newly_denied",
    "permit_changed",
    "deny_changed",
)


def _without_words(outcome: Outcome) -> Outcome:
    return {**outcome, "reasons": [(code, rule) for code, rule, _ in outcome.get("reasons", [])]}


@dataclass
class Change:
    situation: Situation
    category: str
    before: Outcome
    after: Outcome

    @property
    def direction(self) -> Direction:
        was, now = self.before["decision"], self.after["decision"]
        if _without_words(self.before) == _without_words(self.after):
            return "wording_changed"
        if was != "permit" and now == "permit":
            return "newly_permitted"
        if was == "permit" and now != "permit":
            return "newly_denied"
        return "permit_changed" if now == "permit" else "deny_changed"

    @property
    def rule(self) -> str:
        """The rule the change is grouped by: the permitting route after (newly
        permitted, changed permit), the route that no longer permits (newly denied),
        or the first denying rule after."""
        if self.direction == "newly_denied":
            return str(self.before["rule_id"])
        if self.after["decision"] == "permit":
            return str(self.after["rule_id"])
        reasons = self.after["reasons"]
        return str(reasons[0][1]) if reasons else "none"


def _outcome_words(outcome: Outcome) -> str:
    said = "; ".join(
        f"{code} [{rule}]: {str(message).rstrip('.')}"
        for code, rule, message in outcome["reasons"]
        if code != "permitted"
    )
    if outcome["decision"] != "permit":
        return f"deny ({said})"
    words = f"permit by {outcome['rule_id']} ({', '.join(outcome['fields'])})"
    if outcome.get("override"):
        words += ", overriding the family's block"
    if outcome.get("exclude_organisations"):
        words += f", withholding records from {', '.join(outcome['exclude_organisations'])}"
    return f"{words}; {said}" if said else words


def describe(change: Change) -> str:
    """One change in plain words."""
    return (
        f"{change.situation.words} Asked for {change.category.replace('_', ' ')}. "
        f"Before: {_outcome_words(change.before)}. "
        f"Now: {_outcome_words(change.after)}."
    )


@dataclass
class Group:
    direction: Direction
    rule: str
    changes: list[Change]


@dataclass
class Impact:
    base_ref: str
    base_revision: str
    head_revision: str
    seed: int
    corpus_hash: str
    situations: int
    inputs: int
    scenarios: int
    groups: list[Group]
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        """Decisions that changed: outcome, rule, reason codes or fields (not wording)."""
        return sum(len(g.changes) for g in self.groups if g.direction in DECISION_CHANGES)

    def count(self, direction: Direction) -> int:
        return sum(len(g.changes) for g in self.groups if g.direction == direction)


def compare(
    situations: list[Situation],
    before: list[dict[str, Outcome]],
    after: list[dict[str, Outcome]],
) -> list[Group]:
    """The changed decisions, grouped by direction (newly permitted first) and rule."""
    groups: dict[tuple[Direction, str], list[Change]] = {}
    for situation, was, now in zip(situations, before, after, strict=True):
        for category in now:
            if was.get(category) == now[category]:
                continue
            change = Change(situation, category, was.get(category) or {}, now[category])
            groups.setdefault((change.direction, change.rule), []).append(change)
    order = list(DIRECTIONS)
    return [
        Group(direction, rule, changes)
        for (direction, rule), changes in sorted(
            groups.items(), key=lambda kv: (order.index(kv[0][0]), -len(kv[1]), kv[0][1])
        )
    ]


def _evaluate_both(
    base: Path, head: Path, documents: list[dict[str, Any]], workers: int
) -> tuple[list[dict[str, Outcome]], list[dict[str, Outcome]]]:
    """Both policies; with two workers, each in its own process (the embedded
    engine holds the interpreter lock while it evaluates)."""
    if workers < 2:
        return evaluate_all(base, documents), evaluate_all(head, documents)
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        before = pool.submit(evaluate_all, base, documents)
        after = pool.submit(evaluate_all, head, documents)
        return before.result(), after.result()


def impact(
    base: Path,
    head: Path,
    *,
    base_ref: str,
    scenarios: Iterable[Scenario] = (),
    seed: int = DEFAULT_SEED,
    size: int = DEFAULT_SIZE,
    workers: int = 2,
) -> Impact:
    """Decide the corpus and the scenarios under both policies and compare."""
    started = perf_counter()
    generated = corpus(seed, size)
    from_scenarios = scenario_situations(scenarios)
    situations = generated.situations + from_scenarios
    documents = [s.document for s in situations]
    before, after = _evaluate_both(base, head, documents, workers)
    groups = compare(situations, before, after)
    report = Impact(
        base_ref=base_ref,
        base_revision=_revision(base),
        head_revision=_revision(head),
        seed=seed,
        corpus_hash=generated.digest(),
        situations=generated.size,
        inputs=len(generated.situations),
        scenarios=len(from_scenarios),
        groups=groups,
    )
    report.seconds = perf_counter() - started
    return report


def policy_at(ref: str, repository: Path, into: Path) -> Path:
    """The rego/ tree at a git ref, extracted into `into` (git archive)."""
    archive = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        ["git", "-C", str(repository), "archive", "--format=tar", ref, "rego"],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "rego"


# --- report -------------------------------------------------------------------------


def _header(report: Impact) -> list[tuple[str, str]]:
    return [
        ("Base policy", f"{report.base_ref} ({report.base_revision})"),
        ("Working tree policy", report.head_revision),
        (
            "Corpus",
            f"{report.situations} situations ({report.inputs} inputs x every data category), "
            f"seed {report.seed}, hash {report.corpus_hash}",
        ),
        ("Scenarios", f"{report.scenarios} (their first question)"),
        ("Decisions changed", str(report.changed)),
        ("Newly permitted", str(report.count("newly_permitted"))),
        ("Newly denied", str(report.count("newly_denied"))),
        ("Only a message's words changed", str(report.count("wording_changed"))),
        ("Run time", f"{report.seconds:.1f} s"),
    ]


def markdown(report: Impact) -> str:
    lines = [
        "# Policy impact report",
        "",
        "What changes between the base policy and the working tree's policy, decided on the "
        "embedded engine for a generated corpus of situations and every compliance scenario. "
        "Newly permitted situations come first: each must be intended, and the change must "
        "say why.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in _header(report)],
        "",
    ]
    if not report.changed:
        lines += ["No decision changed.", ""]
    for direction, title in DIRECTIONS.items():
        groups = [g for g in report.groups if g.direction == direction]
        if not groups:
            continue
        count = sum(len(g.changes) for g in groups)
        alarm = "🟥 " if direction == "newly_permitted" else ""
        lines += [f"## {alarm}{title}: {count}", "", "| Rule | Decisions |", "|---|---|"]
        lines += [f"| {g.rule} | {len(g.changes)} |" for g in groups]
        lines.append("")
        for g in groups:
            lines += [
                f"### {alarm}{g.rule}: {len(g.changes)}",
                "",
                f"For example: {describe(g.changes[0])}",
                "",
            ]
    lines += [
        "Regenerate with `hoi policy impact --base GITREF --out docs/impact` "
        "(the corpus: every catalogue role x purpose x consent state x objection/block state "
        "x age band x relation evidence, sampled with the seed; every category asked).",
        "",
    ]
    return "\n".join(lines)


def html_page(report: Impact) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _header(report))
    body = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Policy impact report</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}",
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;",
        "text-align:left}.permitted{color:#b00020}.permitted h2,.permitted h3{color:#b00020}",
        "</style></head><body><h1>Policy impact report</h1>",
        "<p>What changes between the base policy and the working tree's policy, decided on "
        "the embedded engine for a generated corpus of situations and every compliance "
        "scenario. Newly permitted situations come first, in red: each must be intended.</p>",
        f"<table>{rows}</table>",
    ]
    if not report.changed:
        body.append("<p>No decision changed.</p>")
    for direction, title in DIRECTIONS.items():
        groups = [g for g in report.groups if g.direction == direction]
        if not groups:
            continue
        css = " class='permitted'" if direction == "newly_permitted" else ""
        count = sum(len(g.changes) for g in groups)
        body.append(f"<section{css}><h2>{e(title)}: {count}</h2>")
        body.append("<table><tr><th>Rule</th><th>Decisions</th></tr>")
        body += [f"<tr><td>{e(g.rule)}</td><td>{len(g.changes)}</td></tr>" for g in groups]
        body.append("</table>")
        for g in groups:
            body.append(f"<h3>{e(g.rule)}: {len(g.changes)}</h3>")
            body.append(f"<p>For example: {e(describe(g.changes[0]))}</p>")
        body.append("</section>")
    body.append("</body></html>")
    return "\n".join(body)


def write(report: Impact, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "README.md", out / "index.html"]
    written[0].write_text(markdown(report), encoding="utf-8")
    written[1].write_text(html_page(report), encoding="utf-8")
    return written
