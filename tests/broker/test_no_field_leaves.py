"""No field outside the permit ever leaves: property tests at the broker layer.

The broker runs with in-process fake adapters that return, for every category,
records carrying every catalogue field plus fields no category has, from random
organisations; every value is tagged with its category and field, so the
serialized overview can be checked value by value. Two sources of decisions:

- 10,000 random decisions (per category permit or deny, any fields, any
  organisations excluded): the broker's own guarantee, whatever the policy says;
- 2,500 decisions of the embedded engine on the real policy from random roles,
  organisations, purposes, ages, consents, objections, blocks and relations.

The HTTP layer is tested elsewhere; 10,000 round trips would prove nothing more.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.adapters import ADAPTERS, FetchQuery, SourceRecord
from broker.broker import DataBroker
from broker.client import SourceClient
from broker.sources import load_sources
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.inputs import build_input
from engine.pdp import parse_result
from facts.organisations import with_sub_units
from policy.catalogue import catalogue
from policy.decision import CategoryDecision, Decision, DecisionRequest, ReliedOn
from policy.facts import (
    BlockFact,
    BlockTarget,
    ChildRecord,
    ConsentFact,
    EvidenceType,
    ObjectionFact,
    RegistryState,
    Relation,
)
from policy.paths import REGO_DIR
from sandbox.pilot import organisations

EXAMPLES = int(os.environ.get("HOI_PROPERTY_EXAMPLES", "10000"))
ENGINE_EXAMPLES = int(os.environ.get("HOI_PROPERTY_ENGINE_EXAMPLES", "2500"))
TODAY = date(2026, 11, 26)
CHILD = "6809144615"
PARENTS = ("7912891555", "7602832715")
CATALOGUE = catalogue()
CATEGORIES = list(CATALOGUE.categories)
ORGS = organisations()
REQUESTERS = [
    ("municipality", "851-family"),
    ("municipality", "851-ppr"),
    ("municipality", "810-family"),
    ("gp_clinic", "gp-laegeklinikken-sulsted"),
    ("gp_clinic", "gp-laegerne-i-nibe"),
    ("region_psychiatry", "bup-rn-aalborg-amb"),
    ("region_psychiatry", "bup-rn-thisted"),
    ("region_psychiatry", "bup-rn"),
]
ORIGINS = [
    None,
    "bup-rn",
    "bup-rn-aalborg-amb",
    "bup-rn-hjoerring",
    "851-family",
    "851-ppr",
    "851",
    "institution-851858",
    "cpr",
]
JUNK_FIELDS = ("cpr", "diagnosis", "note", "kle", "caseworker_id")


def _part_of(origin: str) -> tuple[str, ...]:
    org = ORGS.get(origin)
    return org.part_of if org else ()


class FakeSources:
    """In-process adapters: the records of the current case, and a call log."""

    def __init__(self) -> None:
        self.records: dict[str, list[SourceRecord]] = {}
        self.called: Counter[str] = Counter()

    def adapter(self, category: str) -> Any:
        async def fetch(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
            self.called[category] += 1
            return self.records.get(category, [])

        return fetch


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the property test never goes over the network")


Harness = tuple[asyncio.Runner, DataBroker, FakeSources, EmbeddedEngine]


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    fakes = FakeSources()
    engine = EmbeddedEngine(PolicyBundle(REGO_DIR))
    registry = load_sources(sandbox_url="http://sandbox.invalid")
    broker = DataBroker.build(registry, transport=httpx.MockTransport(_refuse), part_of=_part_of)
    by_kind = {s.adapter: s.category for s in registry.sources if s.category}
    broker.adapters = {kind: fakes.adapter(by_kind[kind]) for kind in ADAPTERS}
    with asyncio.Runner() as runner:
        yield runner, broker, fakes, engine
        runner.run(broker.aclose())
        runner.run(engine.aclose())


_TYPES = ("municipality", "gp_clinic", "region_psychiatry")
RECIPIENTS: list[dict[str, str | None]] = [
    *[dict[str, str | None](organisation_type=t) for t in _TYPES],
    *[dict[str, str | None](organisation_id=o) for _, o in REQUESTERS],
]
RELATION_KINDS: tuple[EvidenceType, ...] = (
    "referral",
    "episode",
    "appointment",
    "consultation",
    "case",
)


def _day(rng: random.Random) -> date:
    return TODAY + timedelta(days=rng.randint(-400, 400))


def _categories(rng: random.Random, at_least: int = 0) -> list[str]:
    return rng.sample(CATEGORIES, rng.randint(at_least, 3))


def _registry(
    rng: random.Random, deciders: tuple[str, ...], requester: tuple[str, str]
) -> RegistryState:
    """Consents, objections and blocks drawn from `rng` (hypothesis draws the seed:
    drawing each field through hypothesis made a case ten times slower). Often the
    persons who decide have all consented to the requester, so that permits are common."""
    people = [CHILD, *PARENTS]
    consents = []
    if rng.random() < 0.8:
        fits = "sul-43-1" if requester[0] == "municipality" else "fvl-28-2-1"
        regime = rng.choice([fits, fits, rng.choice(list(CATALOGUE.regimes))])
        recipient: dict[str, str | None] = rng.choice(
            [{"organisation_type": requester[0]}, {"organisation_id": requester[1]}]
        )
        consents += [
            ConsentFact(
                id=f"full-{n}",
                regime=regime,
                giver=giver,
                capacity="child" if giver == CHILD else "custody_holder",
                categories=rng.sample(CATEGORIES, rng.randint(3, len(CATEGORIES))),
                recipient=recipient,
                form="written",
                given_on=TODAY - timedelta(days=rng.randint(0, 30)),
                valid_until=TODAY + timedelta(days=rng.randint(0, 300)),
            )
            for n, giver in enumerate(deciders)
        ]
    for n in range(rng.randint(0, 4)):
        start = _day(rng)
        consents.append(
            ConsentFact(
                id=f"c{n}",
                regime=rng.choice(list(CATALOGUE.regimes)),
                giver=(giver := rng.choice(people)),
                capacity="child" if giver == CHILD else "custody_holder",
                categories=_categories(rng, at_least=1),
                recipient=rng.choice(RECIPIENTS),
                form=rng.choice(["written", "oral"]),
                given_on=start,
                valid_until=start + timedelta(days=rng.randint(0, 500)),
                revoked_at=rng.choice([None, None, "2026-11-01T00:00:00Z"]),
            )
        )
    objections = [
        ObjectionFact(id=f"o{n}", person=rng.choice(people), categories=_categories(rng))
        for n in range(rng.choice([0, 0, 0, 1]))
    ]
    blocks = [
        BlockFact(
            id=f"b{n}",
            target=_block_target(rng),
            categories=_categories(rng),
            valid_from=_day(rng),
            valid_until=rng.choice([None, _day(rng)]),
        )
        for n in range(rng.choice([0, 0, 1, 2]))
    ]
    return with_sub_units(
        RegistryState(consents=consents, objections=objections, blocks=blocks), ORGS
    )


def _block_target(rng: random.Random) -> BlockTarget:
    kind = rng.choice(["professional", "organisation", "source_organisation", "period"])
    if kind == "period":
        return BlockTarget(kind="period")
    if kind == "source_organisation":  # withholds records from an origin, for everyone
        origin = rng.choice([o for o in ORIGINS if o is not None])
        return BlockTarget(
            kind="source_organisation", id=origin, include_sub_units=rng.random() < 0.5
        )
    return BlockTarget(
        kind=kind,
        id=rng.choice(["requester", *(o for _, o in REQUESTERS)]),
        include_sub_units=rng.random() < 0.5,
    )


def _records(rng: random.Random) -> dict[str, list[SourceRecord]]:
    """What the fake sources answer: per category up to three records from random
    origins, carrying every catalogue field and fields no category has, each value
    tagged with its category and field."""
    return {
        category: [
            SourceRecord(
                origin=rng.choice(ORIGINS),
                data={
                    name: f"V|{category}|{name}|{i}"
                    for name in (*CATALOGUE.categories[category].fields, *JUNK_FIELDS)
                },
            )
            for i in range(rng.randint(0, 3))
        ]
        for category in CATEGORIES
    }


def _relations(rng: random.Random, requester: str) -> list[Relation]:
    own = []
    if rng.random() < 0.8:
        soon = TODAY + timedelta(days=rng.randint(-40, 20))
        own = [
            Relation(type="consultation", organisation_id=requester, date=soon),
            Relation(type="referral", organisation_id=requester),
            Relation(type="case", organisation_id=requester),
        ]
    return own + [
        Relation(
            type=rng.choice(RELATION_KINDS),
            organisation_id=rng.choice(REQUESTERS)[1],
            date=_day(rng),
            active=rng.random() < 0.7,
        )
        for _ in range(rng.randint(0, 3))
    ]


# Strategies are built once: building them inside the composite costs more than drawing.
_requesters = st.sampled_from(REQUESTERS)
_roles = st.sampled_from([*CATALOGUE.roles, "janitor"])
# weighted towards what the routes allow, so that about half the cases permit something
_purposes = st.sampled_from([*CATALOGUE.purposes, *["coordination"] * 6])
_fitting = st.sampled_from([True] * 6 + [False])
_grounds = st.sampled_from(["citizen_consents", "citizen_unreachable"])
_asked = st.just(CATEGORIES) | st.lists(st.sampled_from(CATEGORIES), unique=True, min_size=1)
_ages = st.sampled_from([*range(18), *range(18), None])
_holders = st.integers(1, 2)
_gps = st.sampled_from([None, "gp-laegeklinikken-sulsted"])
_seeds = st.integers(0, 2**32)
_excluded = st.lists(st.sampled_from(ORIGINS[1:]), unique=True, max_size=2)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(_roles)
    org_type, org_id = draw(_requesters)
    spec = CATALOGUE.roles.get(role)
    if spec and draw(_fitting):  # mostly an organisation of the kind the role works in
        org_type, org_id = draw(
            st.sampled_from([r for r in REQUESTERS if r[0] in spec.organisation_types])
        )
    context: dict[str, Any] = {"purpose": draw(_purposes)}
    if draw(st.booleans()):
        context["override"] = {"grounds": draw(_grounds), "reason": "a weighty synthetic reason"}
    request = DecisionRequest.model_validate(
        {
            "subject": {
                "id": "requester",
                "role": role,
                "organisation": {"type": org_type, "id": org_id},
                "health_professional": draw(st.booleans()),
            },
            "resource": {
                "child_cpr": CHILD,
                "categories": draw(_asked),
            },
            "context": context,
        }
    )
    age = draw(_ages)
    child = (
        None
        if age is None
        else ChildRecord(
            cpr=CHILD,
            name="Synthetic Child",
            birth_date=TODAY - timedelta(days=int(age * 365.25) + 30),
            custody_holders=PARENTS[: draw(_holders)],
            registered_gp=draw(_gps),
        )
    )
    rng = random.Random(draw(_seeds))
    deciders = (
        ((CHILD,) if age >= 15 else child.custody_holders) if child and age is not None else PARENTS
    )
    registry = _registry(rng, deciders, (org_type, org_id))
    records = _records(rng)
    return {
        "request": request,
        "child": child,
        "relations": _relations(rng, org_id),
        "registry": registry,
        "part_of": list(_part_of(org_id)),
        "exclude": draw(_excluded),
        "records": records,
    }


def _decide(engine: EmbeddedEngine, case: dict[str, Any]) -> Decision:
    request: DecisionRequest = case["request"]
    document = build_input(
        request,
        today=TODAY,
        child=case["child"],
        relations=case["relations"],
        registry=case["registry"],
        organisation_part_of=case["part_of"],
    )
    categories = parse_result(engine.evaluate_sync(document), request.resource.categories)
    for outcome in categories.values():
        # the policy fills this from source-organisation blocks; add drawn ones too
        if outcome.decision == "permit":
            outcome.exclude_organisations = sorted(
                set(outcome.exclude_organisations) | set(case["exclude"])
            )
    return Decision(
        decision_id="property",
        decided_at=datetime(2026, 11, 26, 10, tzinfo=UTC),
        engine="embedded",
        policy_revision=engine.revision,
        categories=categories,
        relied_on=ReliedOn(),
    )


def _shown(record: SourceRecord, excluded: set[str]) -> bool:
    if not excluded:
        return True
    if record.origin is None:
        return False
    return record.origin not in excluded and not excluded.intersection(_part_of(record.origin))


def _tagged(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("V|"):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tagged(item)
    elif isinstance(value, list):
        for item in value:
            yield from _tagged(item)


@st.composite
def fake_decisions(draw: st.DrawFn) -> dict[str, Any]:
    """A decision as any policy might give it: per category permit or deny, any subset
    of the catalogue's fields (now and then a name no category has), any organisations
    excluded. Tests the broker alone, fast."""
    rng = random.Random(draw(_seeds))
    asked = draw(_asked)
    role = draw(_roles)
    org_type, org_id = draw(_requesters)
    request = DecisionRequest.model_validate(
        {
            "subject": {"id": "r", "role": role, "organisation": {"type": org_type, "id": org_id}},
            "resource": {"child_cpr": CHILD, "categories": asked},
            "context": {"purpose": draw(_purposes)},
        }
    )
    categories = {}
    for category in asked:
        permit = rng.random() < 0.6
        fields = [f for f in CATALOGUE.categories[category].fields if rng.random() < 0.6]
        if rng.random() < 0.1:
            fields.append("note")  # a field outside the catalogue, permitted by mistake
        categories[category] = CategoryDecision(
            category=category,
            decision="permit" if permit else "deny",
            fields=fields if permit else [],
            rule_id="R" if permit else None,
            legal_basis=[],
            reasons=[],
            relied_on=ReliedOn(),
            override=False,
            obligations=[],
            exclude_organisations=rng.sample(ORIGINS[1:], rng.choice([0, 0, 1, 2])),
        )
    decision = Decision(
        decision_id="fake",
        decided_at=datetime(2026, 11, 26, 10, tzinfo=UTC),
        engine="fake",
        policy_revision="fake",
        categories=categories,
        relied_on=ReliedOn(),
    )
    return {"request": request, "decision": decision, "records": _records(rng)}


def _check(harness: Harness, case: dict[str, Any], decision: Decision) -> None:
    runner, broker, fakes, _ = harness
    fakes.records = case["records"]
    fakes.called.clear()
    permitted = {c for c, d in decision.categories.items() if d.decision == "permit"}

    result = runner.run(broker.overview(case["request"], decision))
    body = result.model_dump(mode="json")

    # only permitted categories were fetched, and only they are shown
    assert set(fakes.called) == permitted
    assert set(body["data"]) == permitted
    # withheld: the denied categories, and the permitted ones a block thins out,
    # which say so without naming an organisation the decision excludes
    thinned = {
        c
        for c in permitted
        if any(r.code == "withheld_by_block" for r in decision.categories[c].reasons)
    }
    assert set(body["withheld"]) == (set(decision.categories) - permitted) | thinned
    for category in thinned:
        said = body["withheld"][category]
        assert said["partial"] is True and said["withheld_by_block"] is True
        assert body["data"][category]["complete"] is False
        for organisation in decision.categories[category].exclude_organisations:
            assert organisation not in json.dumps(said)
    leaving = 0
    for category, shown in body["data"].items():
        outcome = decision.categories[category]
        allowed = set(outcome.fields)
        excluded = set(outcome.exclude_organisations)
        expected = [r for r in case["records"][category] if _shown(r, excluded)]
        assert len(shown["records"]) == len(expected)
        for record in shown["records"]:
            assert set(record) <= allowed
            for name, value in record.items():
                assert value.split("|")[1:3] == [category, name]
                leaving += 1
    # no tagged value anywhere else in the answer
    assert sum(1 for _ in _tagged(body)) == leaving


_SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@settings(max_examples=EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(case=fake_decisions())
def test_no_field_outside_the_permit_ever_leaves(harness: Harness, case: dict[str, Any]) -> None:
    _check(harness, case, case["decision"])


@settings(max_examples=ENGINE_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(case=cases())
def test_nor_on_the_real_policy(harness: Harness, case: dict[str, Any]) -> None:
    """The same, on decisions the embedded engine makes on the real policy from random
    roles, organisations, purposes, ages, consents, objections, blocks and relations."""
    _check(harness, case, _decide(harness[3], case))
