"""Shared pieces of the audit tests: the story children and request bodies."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from sandbox.population import Population, population
from tests.conftest import auditor_headers, auth_headers

DAY = date(2026, 11, 26)
AUDITOR = auditor_headers("auditor-1")

CASEWORKER_REQUEST: dict[str, Any] = {
    "subject": {
        "id": "cw-851-family-1",
        "role": "municipal_caseworker",
        "organisation": {"type": "municipality", "id": "851-family"},
    },
    "action": "view",
    "resource": {
        "child_cpr": "",
        "categories": ["psychiatry_appointments", "psychiatry_contacts", "school_daycare"],
    },
    "context": {"purpose": "social_case_work"},
}


def pilot(day: date = DAY) -> Population:
    return population(day)


def story(n: int, day: date = DAY) -> str:
    """The CPR number of the n-th story child (0: Alma, both parents consent;
    2: the 16-year-old who objects)."""
    return list(pilot(day).children)[n]


def request_body(cpr: str, **subject: Any) -> dict[str, Any]:
    body = copy.deepcopy(CASEWORKER_REQUEST)
    body["resource"]["child_cpr"] = cpr
    body["subject"].update(subject)
    return body


def decide(client: TestClient, cpr: str, **subject: Any) -> dict[str, Any]:
    """Ask as the subject (the caseworker, with `subject`'s changes), with their token."""
    body = request_body(cpr, **subject)
    response = client.post("/v1/decisions", json=body, headers=auth_headers(body["subject"]))
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    return decision
