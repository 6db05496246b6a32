"""Acting for a clinician, and the health-professional flag, are proven, not claimed.

A medical secretary acts for a clinician only when the bearer token's on-behalf
claim says so, or when the organisation's staff register shows the clinician she
names in her own organisation with a valid health-professional authorisation.
A token's `health_professional: true` counts only when the staff register
confirms the authorisation at the token's organisation. These run on the seeded
pilot population, with the facts read from the sandbox sources over HTTP.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from sandbox.population import population
from tests.conftest import AppFactory, auth_headers

DAY = date(2026, 11, 26)
ALMA = next(iter(population(DAY).children))
"""In an active course at BUP Aalborg's outpatient clinic (bup-rn-aalborg-amb)."""
AALBORG = {"type": "region_psychiatry", "id": "bup-rn-aalborg-amb"}
SECRETARY = {
    "id": "secretary-1",
    "role": "bup_medical_secretary",
    "organisation": AALBORG,
    "health_professional": False,
}


def _ask(
    client: TestClient,
    who: dict[str, Any],
    *,
    acting_for: dict[str, Any] | None = None,
    category: str = "psychiatry_appointments",
    **token: Any,
) -> Any:
    subject = {**who, **({"acting_for": acting_for} if acting_for else {})}
    body = {
        "subject": subject,
        "resource": {"child_cpr": ALMA, "categories": [category]},
        "context": {"purpose": "treatment_preparation"},
    }
    return client.post("/v1/decisions", json=body, headers=auth_headers(who, **token))


def _outcome(response: Any, category: str = "psychiatry_appointments") -> dict[str, Any]:
    assert response.status_code == 200, response.text
    outcome: dict[str, Any] = response.json()["categories"][category]
    return outcome


def _codes(outcome: dict[str, Any]) -> list[str]:
    return [r["code"] for r in outcome["reasons"]]


# --- a secretary names the clinician in the request ------------------------------------


def test_a_secretary_naming_a_made_up_clinician_is_denied(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    invented = {"id": "psychiatrist-99", "role": "bup_psychiatrist", "health_professional": True}
    outcome = _outcome(_ask(client, SECRETARY, acting_for=invented))
    assert outcome["decision"] == "deny"
    assert _codes(outcome) == ["acting_for_unverified"]
    reason = outcome["reasons"][0]
    assert reason["rule_id"] == "ACTING-FOR-VERIFIED"
    assert reason["legal_basis"] == ["sul-6", "sul-42a-1"]
    assert [c["id"] for c in reason["citations"]] == ["sul-6", "sul-42a-1"]


def test_a_secretary_naming_a_clinician_of_another_department_is_denied(
    make_client: AppFactory,
) -> None:
    """psychiatrist-5 is real, and authorised, but works at BUP Hjørring."""
    client = make_client(day=DAY)
    elsewhere = {"id": "psychiatrist-5", "role": "bup_psychiatrist", "health_professional": True}
    outcome = _outcome(_ask(client, SECRETARY, acting_for=elsewhere))
    assert outcome["decision"] == "deny"
    assert _codes(outcome) == ["acting_for_unverified"]


def test_a_secretary_naming_a_clinician_with_the_wrong_role_is_denied(
    make_client: AppFactory,
) -> None:
    """The register knows social-worker-1 in Aalborg, but not as a clinician."""
    client = make_client(day=DAY)
    dressed_up = {"id": "social-worker-1", "role": "bup_psychiatrist", "health_professional": True}
    outcome = _outcome(_ask(client, SECRETARY, acting_for=dressed_up))
    assert _codes(outcome) == ["acting_for_unverified"]


def test_a_secretary_naming_a_clinician_of_her_own_department_is_permitted(
    make_client: AppFactory,
) -> None:
    client = make_client(day=DAY)
    own = {"id": "psychiatrist-1", "role": "bup_psychiatrist", "health_professional": True}
    outcome = _outcome(_ask(client, SECRETARY, acting_for=own))
    assert outcome["decision"] == "permit", outcome["reasons"]
    assert outcome["rule_id"] == "SUL-42A-1-BUP-LOOKUP"
    assert _codes(outcome) == ["permitted", "relation", "on_behalf"]
    assert "psychiatrist-1" in outcome["reasons"][-1]["message"]


def test_a_secretary_cannot_say_the_token_vouched_for_her(make_client: AppFactory) -> None:
    """Only the service sets where an on-behalf claim came from."""
    client = make_client(day=DAY)
    forged = {"id": "psychiatrist-99", "role": "bup_psychiatrist", "asserted_by": "token"}
    response = _ask(client, SECRETARY, acting_for=forged)
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "subject.acting_for.asserted_by"


# --- the identity provider says on whose behalf ------------------------------------------


def test_the_tokens_on_behalf_claim_lets_the_secretary_act(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    claim = {"acting_for": {"sub": "psychiatrist-2", "role": "bup_psychiatrist"}}
    outcome = _outcome(_ask(client, SECRETARY, extra=claim))
    assert outcome["decision"] == "permit", outcome["reasons"]
    assert "psychiatrist-2" in outcome["reasons"][-1]["message"]


def test_a_body_naming_another_clinician_than_the_token_is_refused(
    make_client: AppFactory,
) -> None:
    client = make_client(day=DAY)
    claim = {"acting_for": {"sub": "psychiatrist-2", "role": "bup_psychiatrist"}}
    other = {"id": "psychiatrist-1", "role": "bup_psychiatrist"}
    response = _ask(client, SECRETARY, acting_for=other, extra=claim)
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "subject.acting_for.id"


# --- the health-professional flag on a token ----------------------------------------------


def test_a_token_claiming_health_professional_for_someone_unregistered_gets_no_lookup(
    make_client: AppFactory,
) -> None:
    """A caseworker-like person whose login says psychologist and health professional,
    unknown to the staff register, is not a health professional: no § 42 a lookup."""
    client = make_client(day=DAY)
    pretender = {
        "id": "cw-on-loan-1",
        "role": "bup_psychologist",
        "organisation": AALBORG,
        "health_professional": True,
    }
    outcome = _outcome(_ask(client, pretender))
    assert outcome["decision"] == "deny"
    assert "health_professional_required" in _codes(outcome)
    assert "health_professional_unverified" in _codes(outcome)


def test_a_token_claiming_health_professional_without_an_authorisation_gets_no_lookup(
    make_client: AppFactory,
) -> None:
    """social-worker-1 is on Aalborg's staff list, with no authorisation."""
    client = make_client(day=DAY)
    pretender = {
        "id": "social-worker-1",
        "role": "bup_psychologist",
        "organisation": AALBORG,
        "health_professional": True,
    }
    outcome = _outcome(_ask(client, pretender))
    assert outcome["decision"] == "deny"
    assert "health_professional_required" in _codes(outcome)


def test_an_authorised_psychiatrist_still_looks_up(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    psychiatrist = {
        "id": "psychiatrist-1",
        "role": "bup_psychiatrist",
        "organisation": AALBORG,
        "health_professional": True,
    }
    outcome = _outcome(_ask(client, psychiatrist))
    assert outcome["decision"] == "permit", outcome["reasons"]
    assert outcome["rule_id"] == "SUL-42A-1-BUP-LOOKUP"


# --- the staff register is down -----------------------------------------------------------


def test_a_staff_register_outage_denies_the_secretary(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    services = client.app.state.services  # type: ignore[attr-defined]
    assert services.sandbox is not None
    services.sandbox.control("staff").control.fail_status = 503
    own = {"id": "psychiatrist-1", "role": "bup_psychiatrist"}
    outcome = _outcome(_ask(client, SECRETARY, acting_for=own))
    assert outcome["decision"] == "deny"
    assert _codes(outcome) == ["missing_fact"]
    assert "staff register" in outcome["reasons"][0]["message"]


def test_a_staff_register_outage_does_not_touch_who_never_needs_it(
    make_client: AppFactory,
) -> None:
    """A caseworker claims no authorisation: the register is not asked."""
    client = make_client(day=DAY)
    services = client.app.state.services  # type: ignore[attr-defined]
    assert services.sandbox is not None
    services.sandbox.control("staff").control.fail_status = 503
    caseworker = {
        "id": "cw-851-family-1",
        "role": "municipal_caseworker",
        "organisation": {"type": "municipality", "id": "851-family"},
    }
    body = {
        "resource": {"child_cpr": ALMA, "categories": ["psychiatry_appointments"]},
        "context": {"purpose": "social_case_work"},
    }
    response = client.post("/v1/decisions", json=body, headers=auth_headers(caseworker))
    assert _outcome(response)["decision"] == "permit"
    assert services.sandbox.control("staff").control.total() == 0
