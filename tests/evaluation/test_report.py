"""`hoi evaluation report` on real audit records: what the service recorded for
real API calls, published only where at least five children stand behind it."""

from __future__ import annotations

import csv
import getpass
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.services import Services
from api.settings import get_settings
from audit.chain import DEV_AUDIT_KEY, Signer
from audit.query import search
from audit.verify import verify
from cli.main import main
from db.engine import make_engine
from evaluation.report import SUPPRESSED, Period, build
from sandbox.population import population
from tests.conftest import AppFactory, auth_headers

DAY = date(2026, 11, 26)
CPR = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
GP = {
    "id": "gp-1",
    "role": "gp",
    "organisation": {"type": "gp_clinic", "id": "gp-laegeklinikken-sulsted"},
    "health_professional": True,
}


def ask(client: TestClient, cpr: str, purpose: str, headers: dict[str, str] | None = None) -> None:
    body = {
        "resource": {"child_cpr": cpr, "categories": ["psychiatry_appointments", "school_daycare"]},
        "context": {"purpose": purpose},
    }
    response = client.post("/v1/decisions", json=body, headers=headers or {})
    assert response.status_code == 200, response.text


def test_the_report_counts_lookups_and_hides_small_cells(
    make_client: AppFactory, tmp_path: Path
) -> None:
    people = population(DAY)
    client = make_client(population=people, day=DAY)
    children = list(people.children)[:12]
    for cpr in children:  # twelve children asked about by a caseworker
        ask(client, cpr, "social_case_work")
    for cpr in children[:2]:  # two by a GP: too few to publish
        ask(client, cpr, "treatment_preparation", auth_headers(GP))
    services: Services = client.app.state.services  # type: ignore[attr-defined]

    out = tmp_path / "report"
    figures = build(services.db, Period(DAY, DAY), out, recipient_type=lambda _: None)

    lookups = figures.table("lookups")
    assert ("2026-11", "gp") in lookups.hidden  # two children
    # One month: the month's row is the totals row, and the GP's two lookups would
    # be 14 - 12; the caseworkers' 12 are hidden beside them, the 14 stay.
    assert lookups.published("2026-11", "total") == 14
    assert lookups.published("2026-11", "family_department") is None
    assert lookups.columns == ["family_department", "gp"]  # sectors that never asked: no column
    with (out / "lookups.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, november = rows[0], rows[1]
    assert november[header.index("gp")] == SUPPRESSED
    assert november[header.index("family_department")] == SUPPRESSED
    assert november[header.index("total")] == "14"

    asked = figures.table("categories_asked")
    assert asked.published("school_daycare", "total") == 14
    reasons = figures.table("deny_reasons")
    assert reasons.rows  # the caseworker's school_daycare denials are ranked by reason

    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Lookups (decisions) per month and sector" in html
    charts = list(out.glob("*.svg"))
    assert charts  # what is published is drawn; a chart of hidden cells is not made
    assert all(c.read_text(encoding="utf-8").lstrip().startswith("<?xml") for c in charts)
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not CPR.findall(text), path.name
        for cpr in children:
            assert cpr not in text


def test_an_empty_period_gives_an_empty_report(make_client: AppFactory, tmp_path: Path) -> None:
    client = make_client(population=population(DAY), day=DAY)
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    figures = build(
        services.db,
        Period(date(2020, 1, 1), date(2020, 1, 31)),
        tmp_path,
        recipient_type=lambda _: None,
    )
    assert all(not t.cells for t in figures.tables)
    assert (tmp_path / "index.html").exists()


def test_the_report_command_is_an_audited_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hoi evaluation report` commits its own read to the audit trail before it
    writes a figure: by the operating-system account that ran it, the period,
    no child; and the chain still verifies."""
    monkeypatch.setenv("HOI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HOI_ENVIRONMENT", "test")
    get_settings.cache_clear()
    try:
        out = tmp_path / "report"
        args = ["evaluation", "report", "--from", "2026-11-01", "--to", "2026-11-30"]
        assert main([*args, "--out", str(out)]) == 0
        assert (out / "index.html").exists()
        db = make_engine(f"sqlite:///{tmp_path / 'hoi.db'}")
        [stored] = search(db, kind="evaluation_read").records
        record = stored.record
        assert record.requester.role == "operator"
        assert record.requester.id == f"operator:{getpass.getuser()}"
        assert record.child_cpr == ""
        assert record.evaluation is not None
        assert (record.evaluation.view, record.evaluation.period_start) == (
            "report",
            date(2026, 11, 1),
        )
        assert verify(db, Signer(DEV_AUDIT_KEY)).ok
        db.dispose()
    finally:
        get_settings.cache_clear()
    capsys.readouterr()
