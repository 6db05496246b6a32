"""The lawyers' what-if bench: a situation set in a form is decided by the service's
engine over a synthetic world the bench builds, never over the service's own
facts, registry or audit log; "save as scenario" gives YAML the scenario runner
accepts with the same decision."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from cli.scenario import run_scenarios
from handbook.scenarios import load_scenario
from tests.conftest import AppFactory
from tests.pages.helpers import csrf, stories

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Tripwire:
    """Stands in for a part of the service the bench must never touch."""

    def __init__(self, name: str, touched: list[str]) -> None:
        self._name, self._touched = name, touched

    def __getattr__(self, attribute: str) -> Any:
        self._touched.append(f"{self._name}.{attribute}")
        raise AssertionError(f"the bench touched {self._name}.{attribute}")


def situation(client: TestClient, **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf": csrf(client),
        "date": "2026-11-26",
        "role": "municipal_caseworker",
        "organisation": "851-family",
        "purpose": "social_case_work",
        "born": "2017-03-01",
        "custody": ["mother"],
        "relation_kind_0": "open_case",
        "relation_org_0": "851-family",
        "consent_by_0": "mother",
        "consent_regime_0": "sul-43-1",
        "consent_category_0": "psychiatry_appointments",
        "consent_to_0": "851-family",
        "consent_from_0": "2026-09-01",
        "consent_until_0": "2027-08-31",
        "ask": ["psychiatry_appointments"],
    }
    form.update(changes)
    return form


def _category(html: str, name: str) -> str:
    start = html.index(f'id="result-{name}"')
    return html[start : html.index("</div>", start)]


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client(anonymous=True)


def test_public_and_without_a_session(client: TestClient) -> None:
    page = client.get("/pages/whatif")
    assert page.status_code == 200
    assert "Hvad nu hvis" in page.text
    assert "content-security-policy" in page.headers
    assert "<script" not in page.text


def test_a_consent_permits_and_without_it_a_deny(client: TestClient) -> None:
    permit = client.post("/pages/whatif", data=situation(client))
    assert permit.status_code == 200, permit.text
    shown = _category(permit.text, "psychiatry_appointments")
    assert 'data-decision="permit"' in shown
    assert 'href="/policy/rules.html#SUL-43-1-CONSENT"' in shown
    assert 'href="/policy/provision-sul-43-1.html"' in shown
    rules = client.get("/policy/rules.html")  # the links land in the handbook
    assert rules.status_code == 200 and 'id="SUL-43-1-CONSENT"' in rules.text
    assert client.get("/policy/provision-sul-43-1.html").status_code == 200
    deny = client.post("/pages/whatif", data=situation(client, consent_by_0=""))
    shown = _category(deny.text, "psychiatry_appointments")
    assert 'data-decision="deny"' in shown
    assert "missing_consent" in shown


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    form = situation(client)
    del form["csrf"]
    assert client.post("/pages/whatif", data=form).status_code == 403
    assert client.post("/pages/whatif/scenario.yaml", data=form).status_code == 403


def test_a_real_cpr_number_reveals_nothing_and_no_source_is_read(client: TestClient) -> None:
    """The sandbox population's child typed into the form (as a CPR field, with its
    real birth date and a block its family set in the seeded registry) is decided
    over the bench's synthetic child only: the service's facts, broker, registry
    database, audit log and audited decisions are never touched."""
    alma = stories()[0]
    services = client.app.state.services  # type: ignore[attr-defined]
    touched: list[str] = []
    parts = ("facts", "broker", "db", "audit", "decisions", "pdp", "handbook", "fact_sources")
    kept = {part: getattr(services, part) for part in parts}
    for part in parts:
        setattr(services, part, Tripwire(part, touched))
    try:
        page, saved = _ask_about(client, alma)
    finally:
        for part, value in kept.items():  # the app's shutdown closes them
            setattr(services, part, value)
    assert touched == []
    for text in (page.text, saved.text):
        assert alma.record.cpr not in text
        assert alma.record.name not in text
        for holder in alma.record.custody_holders:
            assert holder not in text


def _ask_about(client: TestClient, alma: Any) -> tuple[Any, Any]:
    form = situation(
        client,
        cpr=alma.record.cpr,
        child_cpr=alma.record.cpr,
        born=alma.record.birth_date.isoformat(),
        ask=["psychiatry_appointments", "municipal_case_status", "school_daycare"],
    )
    page = client.post("/pages/whatif", data=form)
    assert page.status_code == 200, page.text
    saved = client.post("/pages/whatif/scenario.yaml", data=form)
    assert saved.status_code == 200, saved.text
    return page, saved


def test_save_as_scenario_round_trips(client: TestClient, tmp_path: Path) -> None:
    saved = client.post("/pages/whatif/scenario.yaml", data=situation(client))
    assert saved.status_code == 200
    assert saved.headers["content-disposition"].startswith("attachment")
    assert saved.headers["content-type"].startswith("application/yaml")
    path = tmp_path / "from_the_bench.yaml"
    path.write_text(saved.text, encoding="utf-8")
    scenario = load_scenario(path)
    expect = scenario.expect["psychiatry_appointments"]
    assert expect.decision == "permit" and expect.rule_id == "SUL-43-1-CONSENT"
    assert yaml.safe_load(saved.text)["consents"][0]["regime"] == "sul-43-1"


def test_the_runner_gives_the_saved_decision(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n, consent_by in enumerate(("mother", "")):
        saved = client.post(
            "/pages/whatif/scenario.yaml", data=situation(client, consent_by_0=consent_by)
        )
        (tmp_path / f"bench_{n}.yaml").write_text(saved.text, encoding="utf-8")
    assert asyncio.run(run_scenarios([tmp_path], "embedded")) == 0
    out = capsys.readouterr().out
    assert "2 passed, 0 failed" in out
    assert "psychiatry_appointments: PERMIT by SUL-43-1-CONSENT" in out
    assert "psychiatry_appointments: DENY" in out


def test_a_wrong_value_is_refused_in_words(client: TestClient) -> None:
    page = client.post("/pages/whatif", data=situation(client, role="admin"))
    assert page.status_code == 422
    assert "choose one of the values offered" in page.text
    assert 'name="born"' in page.text  # the form is shown again, filled in


def test_a_consent_the_registry_refuses_is_said(client: TestClient) -> None:
    """A nine-year-old cannot give the consent herself: the registry refuses it
    (as the API would), and the bench says so instead of deciding."""
    page = client.post("/pages/whatif", data=situation(client, consent_by_0="child"))
    assert page.status_code == 422
    assert "Situationen kan ikke afgøres" in page.text


def test_the_impact_report_is_linked(client: TestClient) -> None:
    page = client.get("/pages/whatif")
    assert 'href="/pages/whatif/impact"' in page.text
    report = client.get("/pages/whatif/impact")
    assert report.status_code == 200
    assert "Policy impact report" in report.text
