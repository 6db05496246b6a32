"""Retention: old records are purged, a signed checkpoint keeps the rest
verifiable, and the production key rules hold."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from api.settings import Settings, get_settings
from audit.chain import DEV_AUDIT_KEY, Signer
from audit.retention import purge, retention_cutoff
from audit.verify import verify
from cli.main import main
from policy.decision import DecisionRequest
from policy.errors import Conflict
from sandbox.app import build_dev_services
from tests.audit.helpers import DAY, request_body, story
from tests.conftest import fixed_clock

SIGNER = Signer(DEV_AUDIT_KEY)
NOW = datetime.combine(DAY, time(12), tzinfo=UTC)
# Six records six years old, then four from this year.
TIMES = [datetime(2020, 3, d, tzinfo=UTC) for d in range(1, 7)] + [
    datetime(2026, 11, d, tzinfo=UTC) for d in range(1, 5)
]


def _fill(var_dir: Path) -> Engine:
    async def run() -> None:
        services = build_dev_services(
            Settings(environment="test", var_dir=var_dir, demo_reference_date=DAY),
            clock=fixed_clock(DAY),
        )
        moments: Iterator[datetime] = iter(TIMES)
        services.audit.clock = lambda: next(moments)
        request = DecisionRequest.model_validate(request_body(story(0)))
        try:
            for _ in TIMES:
                decision = await services.pdp.decide(request)
                await services.audit.record_decision(request, decision, trace_id="t")
        finally:
            await services.aclose()

    asyncio.run(run())
    from db.engine import make_engine

    return make_engine(f"sqlite:///{var_dir / 'hoi.db'}")


def test_the_default_retention_is_five_years() -> None:
    assert Settings().audit_retention_years == 5
    assert retention_cutoff(NOW, 5) == datetime(2021, 11, 26, 12, tzinfo=UTC)
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert retention_cutoff(leap, 5) == datetime(2023, 2, 28, tzinfo=UTC)


def test_purging_keeps_the_rest_of_the_chain_verifiable(tmp_path: Path) -> None:
    db = _fill(tmp_path)
    report = purge(db, SIGNER, retention_cutoff(NOW, 5))
    assert (report.purged, report.through_seq) == (6, 6)
    after = verify(db, SIGNER)
    assert after.ok, after.first_broken
    assert (after.records_checked, after.first_seq, after.last_seq, after.checkpoints) == (
        4,
        7,
        10,
        1,
    )
    # Nothing more is old enough; a second purge is a no-op.
    assert purge(db, SIGNER, retention_cutoff(NOW, 5)).purged == 0
    # Purged records were the old ones; the kept ones still read back.
    with db.connect() as conn:
        kept: object = conn.execute(text("SELECT min(recorded_at) FROM audit_record")).scalar_one()
    assert str(kept).startswith("2026-11-01")


def test_deleting_the_first_record_after_a_checkpoint_is_detected(tmp_path: Path) -> None:
    db = _fill(tmp_path)
    purge(db, SIGNER, retention_cutoff(NOW, 5))
    with db.begin() as conn:
        conn.execute(text("DELETE FROM audit_record WHERE seq = 7"))
    broken = verify(db, SIGNER).first_broken
    assert broken is not None and (broken.seq, broken.problem) == (7, "record 7 is missing")


def test_a_forged_checkpoint_is_detected(tmp_path: Path) -> None:
    """Deleting more and moving the checkpoint forward needs the key."""
    db = _fill(tmp_path)
    purge(db, SIGNER, retention_cutoff(NOW, 5))
    with db.begin() as conn:
        conn.execute(text("DELETE FROM audit_record WHERE seq <= 8"))
        conn.execute(
            text(
                "UPDATE audit_checkpoint SET through_seq = 8, "
                "through_hash = (SELECT prev_hash FROM audit_record WHERE seq = 9)"
            )
        )
    report = verify(db, SIGNER)
    assert report.first_broken is not None
    assert "not signed" in report.first_broken.problem


def test_purge_refuses_a_broken_chain(tmp_path: Path) -> None:
    db = _fill(tmp_path)
    with db.begin() as conn:
        conn.execute(text("UPDATE audit_record SET outcome = 'deny' WHERE seq = 2"))
    with pytest.raises(Conflict, match="does not verify"):
        purge(db, SIGNER, retention_cutoff(NOW, 5))
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_record")).scalar_one() == 10


def test_production_refuses_the_development_key() -> None:
    production = {
        "environment": "production",
        "person_handle_key": "h" * 40,
        "seed_demo_data": False,
        "database_url": "sqlite:///prod.db",
        "auth_jwks_file": "jwks.json",
        "auth_issuer": "https://idp.region.example",
    }
    with pytest.raises(ValidationError, match="HOI_AUDIT_KEY"):
        Settings(**production)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="HOI_AUDIT_KEY"):
        Settings(**production, audit_key="short")  # type: ignore[arg-type]
    Settings(**production, audit_key="k" * 40)  # type: ignore[arg-type]


def test_the_audit_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _fill(tmp_path)
    monkeypatch.setenv("HOI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HOI_ENVIRONMENT", "test")
    get_settings.cache_clear()
    try:
        assert main(["audit", "verify"]) == 0
        assert "intact: 10 records" in capsys.readouterr().out
        assert main(["audit", "purge", "--before", "2021-01-01", "--dry-run"]) == 0
        assert "would purge 6 record(s)" in capsys.readouterr().out
        assert main(["audit", "purge", "--before", "2021-01-01"]) == 0
        assert "purged 6 record(s)" in capsys.readouterr().out
        assert main(["audit", "verify"]) == 0
        assert "intact: 4 records (seq 7-10), 1 checkpoint(s)" in capsys.readouterr().out
        with db.begin() as conn:
            conn.execute(text("UPDATE audit_record SET body = body || ' ' WHERE seq = 9"))
        assert main(["audit", "verify"]) == 1
        assert "BROKEN at seq 9" in capsys.readouterr().out
        monkeypatch.setenv("HOI_AUDIT_KEY", "someone-elses-key-" + "x" * 20)
        get_settings.cache_clear()
        assert main(["audit", "verify"]) == 1
    finally:
        get_settings.cache_clear()
