"""The child's GP clinic as an overview contact point (gp_clinic), from outside.

Abuse first: a professional without a relation (or without the family's consent)
learns nothing of the child's GP, not even which clinic it is, and the GP
registration's source is not called; no answer carries anyone's CPR number but
the child's (the suite's response hook checks every answer, and these tests look
once more). Then what the overview shows a caseworker with the family's consent
and a psychiatrist in the child's course: the clinic's contact point with a
`write_to` handle the correspondence API accepts, decided per policy.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from facts.addressing import resolve
from handbook.scenarios import Scenario, load_scenario
from policy.paths import SCENARIO_DIR
from sandbox.pilot import organisations
from sandbox.worlds import scenario_population
from tests.conftest import AppFactory, auth_headers
from tests.test_scenarios import family, record

GP_CLINIC = "gp-gistrup-laegeklinik"
"""The clinic every scenario here has the child registered with."""
CLINIC = organisations()[GP_CLINIC]
CPR = re.compile(r"(?<!\d)\d{10}(?!\d)")


def _world(make_client: AppFactory, name: str) -> tuple[TestClient, Scenario]:
    scenario = load_scenario(SCENARIO_DIR / f"{name}.yaml")
    client = make_client(population=scenario_population(scenario), day=scenario.date)
    record(client, scenario)
    return client, scenario


def _requester(scenario: Scenario) -> dict[str, str]:
    return auth_headers(scenario.decision_body()["subject"], extra={"name": "Synthetic Sender"})


def _overview(client: TestClient, scenario: Scenario, categories: list[str]) -> dict[str, Any]:
    response = client.get(
        f"/v1/children/{scenario.cpr('child')}/overview",
        params={"purpose": scenario.purpose, "categories": categories},
        headers=_requester(scenario),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _laegevalg_calls(client: TestClient) -> int:
    sandbox = client.app.state.services.sandbox  # type: ignore[attr-defined]
    assert sandbox is not None
    return int(sandbox.control("laegevalg").control.total())


def _says_nothing_of_the_clinic(text: str) -> None:
    for secret in (GP_CLINIC, CLINIC.name, CLINIC.sor_id, CLINIC.gln, CLINIC.phone):
        assert secret and secret not in text, secret
    assert CLINIC.secure_mail not in text


def _only_the_childs_cpr(text: str, scenario: Scenario) -> None:
    assert set(CPR.findall(text)) <= {scenario.cpr("child")}


# --- abuse first --------------------------------------------------------------


def test_a_unit_without_a_case_does_not_learn_the_childs_gp(make_client: AppFactory) -> None:
    # The family consented, but the unit has no case on the child: no relation.
    client, scenario = _world(make_client, "caseworker_gp_clinic_consent_without_a_case")
    body = _overview(client, scenario, ["gp_clinic"])

    assert body["data"] == {}
    codes = [r["code"] for r in body["withheld"]["gp_clinic"]["reasons"]]
    assert codes == ["no_relation"]
    assert body["withheld"]["gp_clinic"]["to_make_visible"]
    assert _laegevalg_calls(client) == 0
    _says_nothing_of_the_clinic(str(body))


def test_a_psychiatrist_without_a_course_does_not_learn_the_childs_gp(
    make_client: AppFactory,
) -> None:
    client, scenario = _world(
        make_client, "psychiatry_without_a_course_does_not_learn_the_gp_clinic"
    )
    body = _overview(client, scenario, ["gp_clinic", "psychiatry_contacts"])
    decided = client.post(
        "/v1/decisions", json=scenario.decision_body(), headers=_requester(scenario)
    )
    assert decided.status_code == 200, decided.text

    assert "gp_clinic" not in body["data"]
    assert [r["code"] for r in body["withheld"]["gp_clinic"]["reasons"]] == ["no_relation"]
    assert _laegevalg_calls(client) == 0
    # Neither the overview nor the decision names the clinic the child is registered with.
    _says_nothing_of_the_clinic(str(body))
    _says_nothing_of_the_clinic(decided.text)


def test_without_the_familys_consent_the_caseworker_is_told_whose_consent_is_missing(
    make_client: AppFactory,
) -> None:
    client, scenario = _world(make_client, "caseworker_gp_clinic_without_consent")
    body = _overview(client, scenario, ["gp_clinic"])

    (reason,) = body["withheld"]["gp_clinic"]["reasons"]
    assert reason["code"] == "missing_consent"
    assert reason["regime"] == "fvl-28-2-1"
    # By capacity and handle, never by the parents' CPR numbers.
    assert [m["capacity"] for m in reason["missing"]] == ["custody_holder", "custody_holder"]
    assert _laegevalg_calls(client) == 0
    _says_nothing_of_the_clinic(str(body))
    _only_the_childs_cpr(str(body), scenario)


# --- the contact point ---------------------------------------------------------


def test_the_caseworker_with_consent_gets_the_childs_gp_clinic_with_a_write_to(
    make_client: AppFactory,
) -> None:
    client, scenario = _world(make_client, "caseworker_sees_the_childs_gp_clinic_with_consent")
    body = _overview(client, scenario, ["gp_clinic"])

    shown = body["data"]["gp_clinic"]
    assert shown["rule_id"] == "FVL-28-GP-CLINIC-CONSENT"
    assert shown["sources"] == ["gp-registration"]
    assert shown["records"] == [
        {
            "clinic_name": "Gistrup Lægeklinik",
            "phone": CLINIC.phone,
            "secure_mail": CLINIC.secure_mail,
            "sor_id": CLINIC.sor_id,
            "recipient": {
                "write_to": f"org/{GP_CLINIC}",
                "name": "Gistrup Lægeklinik",
                "sor_id": CLINIC.sor_id,
                "gln": CLINIC.gln,
                "kle": [],
            },
        }
    ]
    assert body["withheld"] == {}
    assert _laegevalg_calls(client) == 1
    # The handle is one the register resolves: the clinic, as MedCom reaches it.
    recipient = resolve(organisations(), shown["records"][0]["recipient"]["write_to"])
    assert (recipient.organisation.id, recipient.gln) == (GP_CLINIC, CLINIC.gln)
    _only_the_childs_cpr(str(body), scenario)


def test_the_overview_by_default_asks_for_the_gp_clinic_too(make_client: AppFactory) -> None:
    client, scenario = _world(make_client, "psychiatry_sees_the_childs_gp_clinic_during_a_course")
    response = client.get(
        f"/v1/children/{scenario.cpr('child')}/overview",
        params={"purpose": scenario.purpose},
        headers=_requester(scenario),
    )
    assert response.status_code == 200, response.text
    (gp,) = response.json()["data"]["gp_clinic"]["records"]
    assert gp["recipient"]["write_to"] == f"org/{GP_CLINIC}"


# --- from the overview to a message ----------------------------------------------


def _send(client: TestClient, scenario: Scenario, write_to: str, topic: str) -> Any:
    body = {
        "child_cpr": scenario.cpr("child"),
        "write_to": write_to,
        "topic": topic,
        "title": "Synthetic: the plan",
        "text": "A synthetic message about the child's plan.",
    }
    return client.post("/v1/correspondence", json=body, headers=_requester(scenario))


def test_caseworker_overview_to_message_refused_until_the_family_consents_to_the_clinic(
    make_client: AppFactory,
) -> None:
    client, scenario = _world(make_client, "caseworker_sees_the_childs_gp_clinic_with_consent")
    (gp,) = _overview(client, scenario, ["gp_clinic"])["data"]["gp_clinic"]["records"]
    write_to = gp["recipient"]["write_to"]

    # The consent that shows the clinic to the caseworker names the caseworker's
    # unit; a message to the GP is a disclosure to the clinic, which needs a
    # consent naming the clinic (Forvaltningsloven § 28, stk. 2, nr. 1).
    refused = _send(client, scenario, write_to, "coordination")
    assert refused.status_code == 403, refused.text
    outcome = refused.json()["decision"]["categories"]["correspondence"]
    assert [r["code"] for r in outcome["reasons"]] == ["missing_consent"]
    _only_the_childs_cpr(refused.text, scenario)

    for parent in ("mother", "father"):
        given = client.post(
            f"/v1/children/{scenario.cpr('child')}/consents",
            json={
                "regime": "fvl-28-2-1",
                "categories": ["municipal_case_status"],
                "recipient": {"organisation_id": GP_CLINIC},
                "form": "written",
                "given_on": "2026-11-26",
            },
            headers=family(scenario, parent),
        )
        assert given.status_code == 201, given.text

    sent = _send(client, scenario, write_to, "coordination")
    assert sent.status_code == 202, sent.text
    assert sent.json()["recipient"]["write_to"] == f"org/{GP_CLINIC}"
    assert sent.json()["recipient"]["gln"] == CLINIC.gln


def test_psychiatry_overview_to_message_to_the_childs_gp_is_accepted(
    make_client: AppFactory,
) -> None:
    client, scenario = _world(make_client, "psychiatry_sees_the_childs_gp_clinic_during_a_course")
    (gp,) = _overview(client, scenario, ["gp_clinic"])["data"]["gp_clinic"]["records"]

    sent = _send(client, scenario, gp["recipient"]["write_to"], "treatment")
    assert sent.status_code == 202, sent.text
    assert sent.json()["recipient"]["write_to"] == f"org/{GP_CLINIC}"
