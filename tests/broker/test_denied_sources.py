"""A denied category's source is never called: the sandbox counts every call."""

from __future__ import annotations

import pytest

from engine.opa import OpaServer
from sandbox.server import SandboxServer
from tests.broker.conftest import ALMA, CASEWORKER, GP, GP_CHILD, OverviewApp, overview
from tests.conftest import auditor_headers, citizen_headers


def test_caseworker_overview_calls_only_the_permitted_psychiatry_sources(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    client = service()
    body = overview(client, ALMA, CASEWORKER)

    # The caseworker has the open case the psychiatry data needs, so also the
    # child's identity (issue 11: no case, no psychiatry data).
    assert set(body["data"]) == {"psychiatry_appointments", "psychiatry_contacts", "child_identity"}
    # the consent is of the Health Act's regime: it does not show the child's GP clinic
    assert set(body["withheld"]) == {
        "municipal_case_status",
        "municipal_contacts",
        "school_daycare",
        "gp_clinic",
    }
    calls = sandbox.calls()
    assert calls["fhir"] == 1 and calls["sor"] == 1
    # the sources of withheld categories were never asked
    assert calls["fk-sag"] == 0
    assert calls["fk-org"] == 0
    assert calls["stil"] == 0
    assert calls["laegevalg"] == 0
    # the CPR register is read by the policy information point to decide, and
    # by the broker for the permitted child_identity
    assert calls["cpr"] == 2
    assert {s["source"] for s in body["sources"]} == {
        "bup-rn-appointments",
        "bup-rn-contact-points",
        "cpr",
    }


def test_gp_coordinating_calls_only_the_municipal_sources_and_cpr(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    # coordination is not treatment: the GP has no route to psychiatry data for it
    body = overview(service(), GP_CHILD, {**GP, "purpose": "coordination"})

    assert set(body["data"]) == {
        "municipal_case_status",
        "municipal_contacts",
        "school_daycare",
        "gp_clinic",
        "child_identity",
    }
    assert set(body["withheld"]) == {"psychiatry_appointments", "psychiatry_contacts"}
    calls = sandbox.calls()
    assert calls["fhir"] == 0 and calls["sor"] == 0
    assert calls["fk-sag"] == 1 and calls["fk-org"] == 1 and calls["stil"] == 1
    assert calls["laegevalg"] == 1
    assert calls["cpr"] == 2  # once to decide, once for the permitted child_identity


def test_when_everything_is_denied_no_data_source_is_called(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    # the GP of another child: no consent for this family, no relation
    body = overview(service(), ALMA, GP)

    assert body["data"] == {}
    assert body["sources"] == []
    calls = sandbox.calls()
    assert {k: v for k, v in calls.items() if k not in ("cpr", "brs", "staff", "network")} == {
        "fhir": 0,
        "sor": 0,
        "fk-sag": 0,
        "fk-org": 0,
        "stil": 0,
        "laegevalg": 0,
    }
    reasons = {c: [r["code"] for r in w["reasons"]] for c, w in body["withheld"].items()}
    assert reasons["school_daycare"] == ["missing_consent", "no_relation"]
    assert body["withheld"]["school_daycare"]["to_make_visible"]


def test_asking_for_one_category_calls_only_its_source(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    body = overview(service(), ALMA, CASEWORKER, categories=["psychiatry_contacts"])

    assert set(body["data"]) == {"psychiatry_contacts"}
    assert sandbox.calls()["fhir"] == 0
    assert sandbox.calls()["sor"] == 1


def test_the_overview_is_the_same_on_real_opa(
    service: OverviewApp, sandbox: SandboxServer, request: pytest.FixtureRequest
) -> None:
    opa: OpaServer = request.getfixturevalue("opa_server")
    embedded = overview(service(), ALMA, CASEWORKER)
    sandbox.reset()

    on_opa = overview(service(engine="opa", opa_url=opa.url, opa_token=opa.token), ALMA, CASEWORKER)

    assert on_opa["engine"] == "opa"
    assert on_opa["data"] == embedded["data"]
    assert on_opa["withheld"] == embedded["withheld"]
    assert sandbox.calls()["fk-sag"] == sandbox.calls()["stil"] == 0


def test_only_a_professional_with_a_token_gets_an_overview(
    service: OverviewApp, sandbox: SandboxServer
) -> None:
    client = service()
    url = f"/v1/children/{ALMA}/overview"
    params = {"purpose": "social_case_work"}

    assert client.get(url, params=params).status_code == 401
    citizen = client.get(url, params=params, headers=citizen_headers(ALMA))
    assert citizen.status_code == 403
    assert client.get(url, params=params, headers=auditor_headers()).status_code == 403
    assert sum(sandbox.calls().values()) == 0
