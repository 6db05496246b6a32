"""The source registry: validated at start-up; a new source is a registry entry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.services import make_broker
from api.settings import Settings
from broker.broker import DataBroker
from broker.sources import load_sources, parse_sources
from facts.organisations import Organisation
from policy.errors import ConfigError
from sandbox.app import create_app
from sandbox.pilot import organisations
from sandbox.population import Appointment, Population, population
from sandbox.server import SandboxServer
from sandbox.sources import fhir_source
from tests.broker.conftest import (
    ALMA,
    CASEWORKER,
    CASEWORKER_REQUEST,
    DAY,
    GP,
    appointments_decision,
    default_registry_text,
    overview,
)
from tests.conftest import fixed_clock, signing_key_file

NEW_SOURCE = """
  - id: bup-rm-appointments
    label: Region Midtjylland child and adolescent psychiatry EPJ (FHIR R4 Appointment)
    category: psychiatry_appointments
    adapter: fhir_r4_appointment
    base_url: "{sandbox}/fhir-rm"
"""


def _with_new_source(registry: str) -> str:
    return registry.replace("\nfacts:", NEW_SOURCE + "\nfacts:")


def test_the_shipped_registry_is_valid_and_serves_every_category() -> None:
    registry = load_sources(sandbox_url="http://127.0.0.1:1")
    assert registry.categories() == [
        "psychiatry_appointments",
        "psychiatry_contacts",
        "municipal_case_status",
        "municipal_contacts",
        "school_daycare",
        "gp_clinic",
        "child_identity",
    ]
    assert all(s.timeout_s == 2.0 for s in registry.sources)


def test_a_source_for_an_unknown_category_is_refused() -> None:
    text = default_registry_text().replace(
        "category: school_daycare", "category: somatic_appointments"
    )
    with pytest.raises(ValidationError, match="not a data category of the policy"):
        parse_sources(text, sandbox_url="http://127.0.0.1:1")


def test_duplicate_source_ids_are_refused() -> None:
    text = default_registry_text().replace("id: stil-enrolment", "id: cpr")
    with pytest.raises(ValidationError, match="unique"):
        parse_sources(text, sandbox_url="http://127.0.0.1:1")


@pytest.mark.anyio
async def test_sandbox_sources_without_a_sandbox_are_never_called() -> None:
    """Production with the shipped registry: the service starts, decides, and the
    broker marks every sandbox-pointing source an error without calling anything."""
    calls: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    registry = parse_sources(default_registry_text())
    broker = DataBroker.build(registry, transport=httpx.MockTransport(record))
    try:
        result = await broker.overview(CASEWORKER_REQUEST, appointments_decision([]))
    finally:
        await broker.aclose()
    assert calls == []
    assert [(s.source, s.status, s.detail) for s in result.sources] == [
        ("bup-rn-appointments", "error", "base_url_not_configured")
    ]
    assert result.data["psychiatry_appointments"].records == []


def test_unknown_auth_kind_is_refused() -> None:
    text = default_registry_text().replace(
        "    adapter: stil_enrolment\n", "    adapter: stil_enrolment\n    auth: {kind: password}\n"
    )
    with pytest.raises(ValidationError):
        parse_sources(text, sandbox_url="http://127.0.0.1:1")


@pytest.mark.anyio
async def test_an_unknown_adapter_is_refused_when_the_broker_is_built() -> None:
    text = default_registry_text().replace("adapter: stil_enrolment", "adapter: stil_v9")
    registry = parse_sources(text, sandbox_url="http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="stil_v9"):
        DataBroker.build(registry)


def _midtjylland_epj() -> tuple[Population, dict[str, Organisation]]:
    """Another region's psychiatry, where the child also had an appointment."""
    orgs = organisations() | {
        "bup-rm-aarhus": Organisation(
            id="bup-rm-aarhus",
            name="BUP Aarhus (synthetic)",
            type="region_psychiatry",
            sor_id="900000000000901",
        )
    }
    base = population(DAY).children[ALMA]
    child = replace(
        base,
        appointments=[
            Appointment(
                id="rm-1", department="bup-rm-aarhus", date=DAY, time="09:00", status="booked"
            )
        ],
    )
    return Population(DAY, {ALMA: child}, {}, {}, [], [], []), orgs


def test_a_new_source_is_added_by_a_registry_entry_alone(tmp_path: Path) -> None:
    other, orgs = _midtjylland_epj()
    extra = {"fhir-rm": fhir_source(other, orgs)}
    with SandboxServer(population(DAY), extra=extra) as sandbox:
        registry_file = tmp_path / "sources.yaml"
        registry_file.write_text(_with_new_source(default_registry_text()), encoding="utf-8")
        settings = Settings(
            environment="test",
            var_dir=tmp_path / "var",
            demo_reference_date=DAY,
            sandbox_url=sandbox.url,
            dev_key_file=signing_key_file(),
            source_registry=registry_file,
        )
        with TestClient(create_app(settings, clock=fixed_clock(DAY))) as client:
            body = overview(client, ALMA, CASEWORKER)
            departments = {
                r["department"] for r in body["data"]["psychiatry_appointments"]["records"]
            }
            assert "BUP Aarhus (synthetic)" in departments
            assert "BUP Aalborg, ambulatorium" in departments
            assert body["data"]["psychiatry_appointments"]["sources"] == [
                "bup-rn-appointments",
                "bup-rm-appointments",
            ]
            assert sandbox.calls()["fhir-rm"] == 1

            # the new source obeys the policy like the others: a GP is denied the
            # category, and the new source is not called
            overview(client, ALMA, GP)
            assert sandbox.calls()["fhir-rm"] == 1


def test_production_reads_configured_sources_and_refuses_the_sandbox() -> None:
    production = {
        "environment": "production",
        "person_handle_key": "h" * 40,
        "seed_demo_data": False,
        "database_url": "sqlite:///prod.db",
        "audit_key": "k" * 40,
        "auth_jwks_file": "jwks.json",
        "auth_issuer": "https://idp.region.example",
    }
    assert Settings(**production).resolved_sources == "configured"  # type: ignore[arg-type]
    assert Settings(environment="development").resolved_sources == "sandbox"
    with pytest.raises(ValidationError, match="sandbox sources"):
        Settings(**production, sources="sandbox")  # type: ignore[arg-type]


def test_production_refuses_to_start_on_a_registry_that_points_at_the_sandbox() -> None:
    settings = Settings(
        environment="production",
        person_handle_key="h" * 40,
        seed_demo_data=False,
        database_url="sqlite:///prod.db",
        audit_key="k" * 40,
        auth_jwks_file=Path("jwks.json"),
        auth_issuer="https://idp.region.example",
    )
    with pytest.raises(ConfigError, match="still point at the sandbox"):
        make_broker(settings, organisations(), fixed_clock(DAY), None)
