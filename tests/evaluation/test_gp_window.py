"""The simultaneity barrier, measured: GP lookups inside and outside the
consultation window, and by how many days, from the audit trail alone."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

from api.services import Services
from audit.models import AuditRecord
from evaluation import records as audit_records
from evaluation.figures import DAYS_OUTSIDE, compute, gp_window_of
from evaluation.report import Period, build, publish
from evaluation.suppression import MIN_CHILDREN, TOTAL, Table, reconstructable
from sandbox.population import population
from tests.conftest import AppFactory, auth_headers
from tests.evaluation.records import lookup, reason

DAY = date(2026, 11, 26)
CPR = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
WINDOW_AFTER = 30
"""The registered GP's follow-up window after a consultation (policy data)."""


def _figures(records: list[AuditRecord]) -> dict[str, Table]:
    figures = publish(compute(records, [], recipient_type=lambda _: None))
    return {t.name: t for t in figures.tables}


def test_a_gp_lookup_is_placed_by_its_reasons_alone() -> None:
    assert gp_window_of(lookup("c", reasons=[reason("no_relation", 12)])) == (
        "outside_window",
        12,
    )
    assert gp_window_of(lookup("c", reasons=[reason("no_relation")])) == ("no_consultation", None)
    assert gp_window_of(lookup("c", reasons=[reason("missing_consent")])) == (
        "inside_window",
        None,
    )
    assert gp_window_of(lookup("c", permit=True, reasons=[reason("relation")])) == (
        "inside_window",
        None,
    )
    assert gp_window_of(lookup("c", reasons=[reason("blocked")])) == (
        "relation_not_reached",
        None,
    )
    # Denied both for the consent and for the relation: the relation was not met.
    both = [reason("missing_consent"), reason("no_relation", 3)]
    assert gp_window_of(lookup("c", reasons=both)) == ("outside_window", 3)


def test_gp_lookups_outside_the_window_are_counted_by_days_and_month() -> None:
    records = [lookup(f"in-{i}", reasons=[reason("missing_consent")]) for i in range(8)]
    records += [lookup(f"out-{i}", reasons=[reason("no_relation", 2)]) for i in range(6)]
    records += [lookup(f"far-{i}", reasons=[reason("no_relation", 45)]) for i in range(7)]
    records += [lookup(f"oct-{i}", month=10, reasons=[reason("no_relation", 9)]) for i in range(5)]
    tables = _figures(records)
    window, days = tables["gp_window"], tables["gp_days_outside"]
    assert window.published("2026-11", "inside_window") == 8
    assert window.published("2026-11", "outside_window") == 13
    assert days.published("2-3 days", "2026-11") == 6
    assert days.published("over 30 days", "2026-11") == 7
    assert days.published("8-14 days", "2026-10") == 5
    assert days.rows == ["2-3 days", "8-14 days", "over 30 days"]


def test_a_few_children_far_outside_the_window_cannot_be_worked_out() -> None:
    """The abuse: three children whose GP looked up 45 days late, beside 13 a day
    late. The days table hides the 3 and one beside them; the month's total
    outside the window (16), which the window table publishes, is public to the
    days table too, and nothing hidden follows from it."""
    records = [lookup(f"near-{i}", reasons=[reason("no_relation", 1)]) for i in range(13)]
    records += [lookup(f"late-{i}", reasons=[reason("no_relation", 45)]) for i in range(3)]
    records += [lookup(f"in-{i}", reasons=[reason("missing_consent")]) for i in range(9)]
    tables = _figures(records)
    window, days = tables["gp_window"], tables["gp_days_outside"]
    outside = window.published("2026-11", "outside_window")
    assert outside == 16
    assert ("over 30 days", "2026-11") in days.hidden
    assert ("1 day", "2026-11") in days.hidden
    assert days.known[(TOTAL, "2026-11")] == 16
    assert reconstructable(days) == set()
    # The window table's month total is the lookups table's GP cell (25).
    assert window.known[("2026-11", TOTAL)] == 25


def test_random_gp_months_never_give_a_small_cell_away() -> None:
    for seed in range(60):
        rng = random.Random(seed)
        records = []
        for n in range(rng.randint(0, 60)):
            month = rng.choice([9, 10, 11])
            child = f"c{rng.randint(0, 40)}"
            days = rng.choice([None, None, 1, 2, 5, 10, 20, 40])
            why = reason("missing_consent") if days is None else reason("no_relation", days)
            records.append(lookup(child, month=month, day=1 + n % 27, reasons=[why]))
        tables = _figures(records)
        for name in ("lookups", "gp_window", "gp_days_outside"):
            table = tables[name]
            assert reconstructable(table) == set(), (seed, name)
            for key, cell in table.cells.items():
                if 0 < len(cell.children) < MIN_CHILDREN:
                    assert key in table.hidden, (seed, name, key)


def test_buckets_cover_every_day_count() -> None:
    records = [lookup(f"c{d}", reasons=[reason("no_relation", d)]) for d in range(1, 70)]
    days = compute(records, [], recipient_type=lambda _: None).table("gp_days_outside")
    counts = {row: days.cell(row, "2026-11").value for row in DAYS_OUTSIDE}
    assert counts == {
        "1 day": 1,
        "2-3 days": 2,
        "4-7 days": 4,
        "8-14 days": 7,
        "15-30 days": 16,
        "over 30 days": 39,
    }


def test_a_gp_lookup_after_the_window_closed_is_recorded_with_its_days(
    make_client: AppFactory, tmp_path: Path
) -> None:
    """Through the API: the policy measures the days, the audit record keeps them,
    the report counts them; no source data is read to do it."""
    people = population(DAY)
    later = DAY + timedelta(days=60)
    patients = [c for c in people.children.values() if c.consultations and c.record.registered_gp]
    assert patients
    child = patients[0]
    gp = {
        "id": "gp-1",
        "role": "gp",
        "organisation": {"type": "gp_clinic", "id": child.record.registered_gp},
        "health_professional": True,
    }
    expected = min((later - (c + timedelta(days=WINDOW_AFTER))).days for c in child.consultations)
    assert expected > 0

    client = make_client(population=people, day=later)
    body = {
        "resource": {"child_cpr": child.record.cpr, "categories": ["municipal_contacts"]},
        "context": {"purpose": "treatment_preparation"},
    }
    response = client.post("/v1/decisions", json=body, headers=auth_headers(gp))
    assert response.status_code == 200, response.text
    [denial] = [
        r
        for r in response.json()["categories"]["municipal_contacts"]["reasons"]
        if r["code"] == "no_relation"
    ]
    assert denial["days_outside_window"] == expected

    services: Services = client.app.state.services  # type: ignore[attr-defined]
    start, end = Period(later, later).bounds()
    [record] = [r for r in audit_records.period(services.db, start, end) if r.kind == "decision"]
    assert gp_window_of(record) == ("outside_window", expected)

    out = tmp_path / "report"
    figures = build(services.db, Period(later, later), out, recipient_type=lambda _: None)
    window = figures.table("gp_window")
    assert window.cell(later.strftime("%Y-%m"), "outside_window").value == 1
    assert window.published(later.strftime("%Y-%m"), "outside_window") is None  # one child
    for path in out.iterdir():
        assert not CPR.findall(path.read_text(encoding="utf-8")), path.name


def test_a_reason_without_a_measure_is_written_as_before() -> None:
    """Every other reason's JSON is unchanged: no `days_outside_window: null`."""
    assert "days_outside_window" not in reason("missing_consent").model_dump(mode="json")
    assert reason("no_relation", 4).model_dump(mode="json")["days_outside_window"] == 4
