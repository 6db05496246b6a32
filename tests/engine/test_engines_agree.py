"""The embedded engine and real OPA give identical answers on random inputs.

The compliance scenarios prove agreement on the cases a lawyer wrote; this
test looks for disagreement everywhere else: random roles, ages, consents,
objections, blocks and relations, each evaluated by both engines."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base import DECISION_RULE
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.opa import OpaServer
from policy.catalogue import catalogue
from policy.paths import REGO_DIR
from tests.conftest import opa_headers

TODAY = date(2026, 11, 26)
PEOPLE = ["child", "mother", "father", "stranger"]
ORGS = ["851", "851-family", "851-ppr", "gp-a", "gp-b", "bup-rn-aalborg-amb", "bup-rn"]
ROLES = [*catalogue().roles, "teacher", ""]
CATEGORIES = list(catalogue().categories)


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


days = st.integers(min_value=-800, max_value=400)
recipient = st.one_of(
    st.fixed_dictionaries(
        {
            "organisation_type": st.sampled_from(
                ["municipality", "gp_clinic", "region_psychiatry"]
            ),
            "organisation_id": st.none(),
        }
    ),
    st.fixed_dictionaries(
        {"organisation_type": st.none(), "organisation_id": st.sampled_from(ORGS)}
    ),
)


@st.composite
def consents(draw: st.DrawFn, n: int) -> dict[str, Any]:
    start = draw(days)
    return {
        "id": f"c{n}",
        "regime": draw(st.sampled_from([*catalogue().regimes, "gdpr-6-1-a"])),
        "giver": draw(st.sampled_from(PEOPLE)),
        "categories": draw(
            st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True)
        ),
        "recipient": draw(recipient),
        "purposes": draw(st.lists(st.sampled_from(catalogue().purposes), max_size=2, unique=True)),
        "form": draw(st.sampled_from(["written", "oral"])),
        "capacity": draw(st.sampled_from(["custody_holder", "child"])),
        "given_on": _day(start),
        "valid_until": _day(start + draw(st.integers(min_value=0, max_value=600))),
        "revoked_at": draw(st.sampled_from([None, "2026-11-20T09:00:00+00:00"])),
        "superseded_by": draw(st.sampled_from([None, None, "c9"])),
    }


def staff_entries(ids: list[str]) -> st.SearchStrategy[dict[str, Any] | None]:
    """What the staff register might say about one person (None: not on the list)."""
    authorisation = st.fixed_dictionaries(
        {
            "id": st.just("AB12C"),
            "profession": st.just("Læge"),
            "status": st.sampled_from(["valid", "valid", "suspended", "revoked"]),
        }
    )
    return st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {
                "id": st.sampled_from(ids),
                "role": st.sampled_from(["bup_psychiatrist", "bup_psychologist", "gp", "x"]),
                "organisation_id": st.sampled_from(ORGS),
                "authorisation": st.one_of(st.none(), authorisation),
            }
        ),
    )


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(st.sampled_from(ROLES))
    org_type = draw(st.sampled_from(["municipality", "gp_clinic", "region_psychiatry"]))
    org = draw(st.sampled_from(ORGS))
    child: dict[str, Any] = {"cpr": "child"}
    if draw(st.integers(min_value=0, max_value=9)) > 0:
        child["age"] = draw(st.integers(min_value=0, max_value=17))
        child["custody_holders"] = draw(
            st.sampled_from([["mother", "father"], ["mother"], [], ["father", "stranger"]])
        )
        child["registered_gp"] = draw(st.sampled_from([None, "gp-a", "gp-b"]))
        child["municipality"] = draw(st.sampled_from([None, "851", "787"]))
        child["acting_municipality"] = draw(st.sampled_from([None, None, "851"]))
    context: dict[str, Any] = {
        "purpose": draw(st.sampled_from(catalogue().purposes)),
        "date": TODAY.isoformat(),
    }
    if draw(st.booleans()):
        context["override"] = {
            "grounds": draw(st.sampled_from(["citizen_consents", "citizen_unreachable", "x"])),
            "reason": draw(st.sampled_from(["", "   ", "Acute risk, family unreachable"])),
        }
    n_consents = draw(st.integers(min_value=0, max_value=4))
    document: dict[str, Any] = {
        "subject": {
            "id": draw(st.sampled_from(["u1", "u2"])),
            "role": role,
            "health_professional": draw(st.booleans()),
            "organisation": {
                "type": org_type,
                "id": org,
                "part_of": ["851"] if org.startswith("851-") else [],
            },
        },
        "action": "view",
        "resource": {
            "categories": draw(
                st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=6, unique=True)
            )
        },
        "context": context,
        "child": child,
        "facts": {
            "consents": [draw(consents(i)) for i in range(n_consents)],
            "objections": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "id": st.sampled_from(["o1", "o2"]),
                            "person": st.sampled_from(PEOPLE),
                            "categories": st.lists(
                                st.sampled_from(CATEGORIES), max_size=2, unique=True
                            ),
                            "recipient": st.one_of(st.none(), recipient),
                            "withdrawn_at": st.sampled_from([None, "2026-11-01T00:00:00+00:00"]),
                        }
                    ),
                    max_size=2,
                    unique_by=lambda o: str(o["id"]),
                )
            ),
            "blocks": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "id": st.sampled_from(["b1", "b2"]),
                            "target": st.fixed_dictionaries(
                                {
                                    "kind": st.sampled_from(
                                        [
                                            "professional",
                                            "organisation",
                                            "source_organisation",
                                            "period",
                                        ]
                                    ),
                                    "id": st.sampled_from([*ORGS, "u1", None]),
                                    "include_sub_units": st.booleans(),
                                    "sub_units": st.lists(
                                        st.sampled_from(ORGS), max_size=2, unique=True
                                    ),
                                }
                            ),
                            "categories": st.lists(
                                st.sampled_from(CATEGORIES), max_size=2, unique=True
                            ),
                            "valid_from": days.map(_day),
                            "valid_until": st.one_of(st.none(), days.map(_day)),
                            "lifted_at": st.sampled_from([None, "2026-11-01T00:00:00+00:00"]),
                        }
                    ),
                    max_size=2,
                    unique_by=lambda b: str(b["id"]),
                )
            ),
            "relations": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(
                                ["referral", "episode", "appointment", "consultation", "case"]
                            ),
                            "organisation_id": st.sampled_from(ORGS),
                            "date": st.one_of(st.none(), st.integers(-400, 60).map(_day)),
                            "ended_on": st.one_of(st.none(), st.integers(-30, 30).map(_day)),
                            "active": st.booleans(),
                        }
                    ),
                    max_size=4,
                )
            ),
        },
    }
    if draw(st.booleans()):
        document["subject"]["acting_for"] = {
            "id": draw(st.sampled_from(["p1", "p2"])),
            "role": draw(st.sampled_from(["bup_psychiatrist", "bup_psychologist", "gp", ""])),
            "health_professional": draw(st.booleans()),
            "asserted_by": draw(st.sampled_from(["request", "token"])),
        }
    document["facts"]["staff"] = {
        "subject": draw(staff_entries(["u1", "u2"])),
        "acting_for": draw(staff_entries(["p1", "p2"])),
    }
    return document


# Routes as (role, organisation type, organisation, purpose, regime, categories, relation).
_ROUTES = [
    (
        "municipal_caseworker",
        "municipality",
        "851-family",
        "social_case_work",
        "sul-43-1",
        ["psychiatry_appointments", "psychiatry_contacts"],
        "case",
    ),
    (
        "gp",
        "gp_clinic",
        "gp-a",
        "treatment_preparation",
        "fvl-28-2-1",
        ["municipal_case_status", "school_daycare"],
        "gp",
    ),
    (
        "bup_psychiatrist",
        "region_psychiatry",
        "bup-rn-aalborg-amb",
        "current_treatment",
        "fvl-28-2-1",
        ["municipal_contacts"],
        "course",
    ),
]


@st.composite
def likely_permits(draw: st.DrawFn) -> dict[str, Any]:
    """A document shaped like a permit, then perhaps disturbed by random facts."""
    document = draw(documents())
    role, org_type, org, purpose, regime, categories, relation = draw(st.sampled_from(_ROUTES))
    age = draw(st.integers(min_value=0, max_value=17))
    holders = ["mother", "father"]
    givers = ["child"] if age >= 15 else holders
    document["subject"].update(
        role=role,
        organisation={
            "type": org_type,
            "id": org,
            "part_of": ["851"] if org.startswith("851-") else [],
        },
    )
    document["context"]["purpose"] = purpose
    document["child"] = {
        "cpr": "child",
        "age": age,
        "custody_holders": holders,
        "municipality": "851",
        "registered_gp": org if relation == "gp" else None,
    }
    if draw(st.booleans()):
        subject = document["subject"]
        document["facts"]["staff"]["subject"] = {
            "id": subject["id"],
            "role": role,
            "organisation_id": org,
            "authorisation": {"id": "AB12C", "profession": "Læge", "status": "valid"},
        }
    document["resource"]["categories"] = categories
    valid = [
        {
            "id": f"v{n}",
            "regime": regime,
            "giver": giver,
            "categories": categories,
            "recipient": {"organisation_type": None, "organisation_id": org},
            "purposes": [],
            "form": "written",
            "capacity": "child" if giver == "child" else "custody_holder",
            "given_on": _day(-30),
            "valid_until": _day(300),
            "revoked_at": None,
            "superseded_by": None,
        }
        for n, giver in enumerate(givers)
    ]
    keep_random = draw(st.booleans())
    document["facts"]["consents"] = valid + (document["facts"]["consents"] if keep_random else [])
    if not keep_random:
        document["facts"]["objections"] = []
        document["facts"]["blocks"] = []
    evidence = {"gp": "consultation", "course": "referral", "case": "case"}[relation]
    document["facts"]["relations"].append(
        {
            "type": evidence,
            "organisation_id": org,
            "date": _day(3) if relation == "gp" else _day(-60),
            "ended_on": None,
            "active": True,
        }
    )
    return document


def test_engines_agree_on_random_inputs(opa_server: OpaServer) -> None:
    embedded = EmbeddedEngine(PolicyBundle(REGO_DIR))
    url = opa_server.url + "/v1/data/" + DECISION_RULE.removeprefix("data.").replace(".", "/")
    permits = 0

    headers = opa_headers(opa_server)
    counter = itertools.count()
    with httpx.Client(timeout=5) as http:

        @settings(
            max_examples=400,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(st.one_of(documents(), likely_permits()))
        def check(document: dict[str, Any]) -> None:
            nonlocal permits
            nonce = f"nonce-{next(counter)}"
            document = {**document, "request": {"nonce": nonce}}
            ours = embedded.evaluate_sync(document)
            theirs = http.post(url, json={"input": document}, headers=headers).json()["result"]
            assert theirs.pop("nonce") == nonce  # the answer is bound to its question
            assert ours == theirs
            permits += sum(c["decision"] == "permit" for c in ours["categories"].values())

        check()
    assert permits > 0, "the generator never produced a permit, so agreement proves little"
