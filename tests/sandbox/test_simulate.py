"""`hoi sandbox simulate`: synthetic use through the real API on a moving clock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from api.settings import Settings
from audit.store import RECORDS
from db.engine import make_engine
from evaluation.report import Period, build
from sandbox.simulate import simulate
from tests.conftest import signing_key_file


def test_a_week_of_use_lands_in_the_audit_trail_day_by_day(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'simulation.db'}"
    settings = Settings(
        environment="test",
        var_dir=tmp_path,
        database_url=url,
        dev_key_file=signing_key_file(),
        demo_reference_date=date(2026, 9, 1),
        handbook_at_start=False,
    )
    tally = simulate(settings, 7, per_day=12, seed=3, start=date(2026, 9, 1))
    assert tally.lookups > 20 and tally.failures == 0
    assert len(tally.by_sector) >= 3

    db = make_engine(url)
    try:
        with db.connect() as connection:
            days = connection.execute(
                select(func.count(func.distinct(func.date(RECORDS.c.recorded_at))))
            ).scalar_one()
        assert days == 5  # the working days of the week
        figures = build(
            db,
            Period(date(2026, 9, 1), date(2026, 9, 7)),
            tmp_path / "report",
            recipient_type=lambda _: None,
        )
    finally:
        db.dispose()
    assert figures.table("lookups").cell("2026-09", "total").value >= tally.lookups
    assert (tmp_path / "report" / "index.html").exists()
