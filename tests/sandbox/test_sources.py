"""The sandbox sources: deterministic synthetic data over real HTTP, counted."""

from __future__ import annotations

from collections import Counter
from datetime import date

import httpx

from sandbox.population import generate, population
from sandbox.server import SandboxServer

DAY = date(2026, 11, 26)


def test_population_is_large_and_spread_over_the_pilot() -> None:
    pop = population(DAY)
    assert len(pop.children) >= 500
    assert Counter(c.municipality for c in pop.children.values()).keys() == {
        "851",
        "810",
        "849",
        "787",
        "840",
    }
    assert sum(c.divorced for c in pop.children.values()) > 50
    assert sum(bool(c.appointments) for c in pop.children.values()) > 100
    assert sum(bool(c.cases) for c in pop.children.values()) > 100
    assert len(pop.blocks) > 5
    # replacement-style numbers (day + 60): none can be an ordinary person's CPR number
    assert all(int(cpr[:2]) > 60 for cpr in pop.persons)


def test_same_seed_same_answers_over_http() -> None:
    cpr = next(iter(population(DAY).children))
    answers = []
    for pop in (population(DAY), generate(DAY)):
        with SandboxServer(pop) as server:
            answers.append(
                [
                    httpx.get(f"{server.url}/cpr/persons/{cpr}").json(),
                    httpx.get(
                        f"{server.url}/fhir/Appointment",
                        params={"patient:identifier": f"urn:oid:1.2.208.176.1.2|{cpr}"},
                    ).json()["total"],
                    httpx.get(f"{server.url}/fk-sag/cases", params={"child": cpr}).json(),
                ]
            )
    assert answers[0] == answers[1]


def test_calls_are_counted_per_endpoint_and_failures_can_be_injected() -> None:
    with SandboxServer(population(DAY)) as server:
        stil = server.control("stil").control
        assert httpx.get(f"{server.url}/stil/enrolments", params={"cpr": "x"}).status_code == 200
        stil.fail_next = 1
        assert httpx.get(f"{server.url}/stil/enrolments", params={"cpr": "x"}).status_code == 503
        assert httpx.get(f"{server.url}/stil/enrolments", params={"cpr": "x"}).status_code == 200
        assert stil.calls == Counter({"GET /enrolments": 3})
        assert server.calls()["stil"] == 3 and server.calls()["cpr"] == 0


def test_gp_registration_names_the_childs_clinic_and_no_one_else() -> None:
    pop = population(DAY)
    cpr, child = next((k, c) for k, c in pop.children.items() if c.record.registered_gp)
    parent = next(iter(pop.persons.keys() - pop.children.keys()))
    with SandboxServer(pop) as server:
        url = f"{server.url}/laegevalg/registrations"
        answer = httpx.get(url, params={"patient": cpr}).json()
        adult = httpx.get(url, params={"patient": parent}).json()
        unknown = httpx.get(url, params={"patient": "x"}).json()
        assert server.calls()["laegevalg"] == 3 and server.calls()["cpr"] == 0
    assert answer["patient"] == cpr
    assert answer["registration"]["organisation_id"] == child.record.registered_gp
    assert set(answer["registration"]) == {
        "organisation_id",
        "name",
        "sor_id",
        "phone",
        "secure_mail",
    }
    # only children of the population have a registration here; a parent is not served
    assert adult == {"patient": parent, "registration": None}
    assert unknown == {"patient": "x", "registration": None}
