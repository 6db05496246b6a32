"""Fixtures for the broker: the sandbox sources on a free loopback port, and the
service pointed at them, on a fixed day."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.services import Services
from api.settings import Settings
from broker.sources import DEFAULT_SOURCES
from policy.decision import CategoryDecision, Decision, DecisionRequest, ReliedOn
from sandbox.app import create_app
from sandbox.population import population
from sandbox.server import SandboxServer
from tests.conftest import auth_headers, fixed_clock, signing_key_file

DAY = date(2026, 11, 26)
_CHILDREN = list(population(DAY).children)
ALMA = _CHILDREN[0]
"""12, both custody holders consented (Sundhedsloven § 43) to Aalborg municipality."""
GP_CHILD = _CHILDREN[3]
"""Both custody holders consented (Forvaltningsloven § 28) to the child's GP; a
consultation is booked within the GP's window."""
BLOCKED_CHILD = _CHILDREN[4]
"""The family blocked the psychiatry department that treats the child."""

CASEWORKER = {
    "role": "municipal_caseworker",
    "organisation_type": "municipality",
    "organisation_id": "851-family",
    "subject_id": "cw-851-family-1",
    "purpose": "social_case_work",
}
GP = {
    "role": "gp",
    "organisation_type": "gp_clinic",
    "organisation_id": population(DAY).children[GP_CHILD].record.registered_gp or "",
    "subject_id": "gp-doctor-1",
    "health_professional": "true",
    "purpose": "treatment_preparation",
}
PSYCHIATRIST = {
    "role": "bup_psychiatrist",
    "organisation_type": "region_psychiatry",
    "organisation_id": population(DAY).children[BLOCKED_CHILD].course_department or "",
    "subject_id": "psych-1",
    "health_professional": "true",
    "purpose": "current_treatment",
}


TEST_TIMEOUT = "timeout_s: 20.0"
"""Each source's timeout in these tests, unless a test sets its own: the sandbox
answers from a thread of the test process, and on a slow CI machine its answer
once came after the production 2 s, turning an expected `error` into `timeout`."""


def default_registry_text() -> str:
    """The shipped registry, every source with TEST_TIMEOUT."""
    return re.sub(
        r"(?m)^(  - id: .+\n)",
        lambda m: f"{m.group(1)}    {TEST_TIMEOUT}\n",
        DEFAULT_SOURCES.read_text(encoding="utf-8"),
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(population(DAY)) as server:
        yield server


OverviewApp = Callable[..., TestClient]


@pytest.fixture
def service(sandbox: SandboxServer, tmp_path: Path) -> Iterator[OverviewApp]:
    """Start the service against the sandbox; optionally with another registry."""
    sandbox.reset()
    clients: list[TestClient] = []

    def factory(registry: str | None = None, **overrides: Any) -> TestClient:
        settings: dict[str, Any] = {
            "environment": "test",
            "var_dir": tmp_path / f"var-{len(clients)}",
            "demo_reference_date": DAY,
            "sandbox_url": sandbox.url,
            "dev_key_file": signing_key_file(),
            **overrides,
        }
        if registry is not None:
            path = tmp_path / f"sources-{len(clients)}.yaml"
            path.write_text(registry, encoding="utf-8")
            settings["source_registry"] = path
        client = TestClient(
            create_app(Settings(**settings), clock=fixed_clock(DAY)),
            raise_server_exceptions=False,
        )
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)
    sandbox.reset()


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def subject_of(who: dict[str, str]) -> dict[str, Any]:
    """The decision subject a persona's bearer token names."""
    return {
        "id": who["subject_id"],
        "role": who["role"],
        "organisation": {"type": who["organisation_type"], "id": who["organisation_id"]},
        "health_professional": who.get("health_professional") == "true",
    }


def headers_of(who: dict[str, str]) -> dict[str, str]:
    return auth_headers(subject_of(who))


def overview(client: TestClient, cpr: str, who: dict[str, str], **params: Any) -> dict[str, Any]:
    """The persona's overview: the requester from their token, the purpose as a query."""
    response = client.get(
        f"/v1/children/{cpr}/overview",
        params={"purpose": who["purpose"], **params},
        headers=headers_of(who),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def with_source_settings(registry: str, source_id: str, settings: str) -> str:
    """The registry text with extra YAML lines (indented 4) under one source."""
    marker = f"  - id: {source_id}\n"
    assert marker in registry
    if any(line.startswith("timeout_s:") for line in settings.splitlines()):
        registry = registry.replace(f"{marker}    {TEST_TIMEOUT}\n", marker)
    return registry.replace(
        marker, marker + "".join(f"    {line}\n" for line in settings.splitlines())
    )


def appointments_decision(exclude: list[str]) -> Decision:
    """A decision permitting two fields of psychiatry appointments, excluding `exclude`."""
    permit = CategoryDecision(
        category="psychiatry_appointments",
        decision="permit",
        fields=["date", "department"],
        rule_id="SUL-43-1-CONSENT",
        legal_basis=["sul-43-1"],
        reasons=[],
        relied_on=ReliedOn(),
        override=False,
        obligations=[],
        exclude_organisations=exclude,
    )
    return Decision(
        decision_id="d",
        decided_at=datetime(2026, 11, 26, 10, tzinfo=UTC),
        engine="test",
        policy_revision="test",
        categories={"psychiatry_appointments": permit},
        relied_on=ReliedOn(),
    )


CASEWORKER_REQUEST = DecisionRequest.model_validate(
    {
        "subject": {
            "id": "cw",
            "role": "municipal_caseworker",
            "organisation": {"type": "municipality", "id": "851-family"},
        },
        "resource": {"child_cpr": ALMA, "categories": ["psychiatry_appointments"]},
        "context": {"purpose": "social_case_work"},
    }
)
