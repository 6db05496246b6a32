"""The audit trail by month on PostgreSQL: each month's records live in a
partition of their own, made by the first append of that month; retention drops
whole months and deletes only what is left of the purged prefix; the chain
verifies throughout, and the migration moves existing records in and back out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from audit import partitions
from audit.chain import DEV_AUDIT_KEY, Signer
from audit.log import AuditLog, override_attempt_record
from audit.models import AuditRecord
from audit.retention import purge
from audit.verify import verify
from db.engine import make_engine
from db.schema import create_schema, downgrade, upgrade
from policy.decision import DecisionRequest
from tests.audit.helpers import request_body, story
from tests.registry.conftest import _admin_url, create_database, drop_database

SIGNER = Signer(DEV_AUDIT_KEY)


@pytest.fixture
def db() -> Iterator[Engine]:
    admin = _admin_url()
    url = create_database(admin, "hoi_test_partitions")
    engine = make_engine(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    drop_database(admin, url)


def _record(n: int, at: datetime) -> AuditRecord:
    request = DecisionRequest.model_validate(request_body(story(n % 3)))
    return override_attempt_record(
        request,
        refusal=f"partition test {n}",
        recorded_at=at,
        trace_id=f"trace-{n}",
        client_address=None,
        acting_system=None,
        policy_revision="test",
        engine="embedded",
    )


def _append(db: Engine, moments: list[datetime]) -> None:
    async def run() -> None:
        log = AuditLog(db, SIGNER, max_batch=2)
        try:
            for n, at in enumerate(moments):
                await log.submit(_record(n, at))
        finally:
            await log.aclose()

    asyncio.run(run())


def _rows_by_partition(db: Engine) -> dict[str, list[int]]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT tableoid::regclass::text, seq FROM audit_record ORDER BY seq")
        ).all()
    found: dict[str, list[int]] = {}
    for row in rows:
        table: str = row[0]
        seq: int = row[1]
        found.setdefault(table, []).append(seq)
    return found


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, tzinfo=UTC)


@pytest.mark.postgres
def test_each_month_lands_in_its_own_partition(db: Engine) -> None:
    create_schema(db)
    _append(db, [_at(2020, 3, 5), _at(2020, 3, 20), _at(2020, 4, 2), _at(2026, 11, 26)])
    assert _rows_by_partition(db) == {
        "audit_record_y2020m03": [1, 2],
        "audit_record_y2020m04": [3],
        "audit_record_y2026m11": [4],
    }
    with db.connect() as conn:
        made = [p.name for p in partitions.partitions(conn)]
    assert made[:3] == ["audit_record_y2020m03", "audit_record_y2020m04", "audit_record_y2026m11"]
    assert verify(db, SIGNER).ok


@pytest.mark.postgres
def test_purge_drops_whole_months_and_deletes_the_rest(db: Engine) -> None:
    create_schema(db)
    _append(
        db,
        [
            *(_at(2020, 3, day) for day in (5, 6, 7)),
            *(_at(2020, 4, day) for day in (4, 20)),
            *(_at(2026, 11, day) for day in (1, 2)),
        ],
    )
    report = purge(db, SIGNER, _at(2020, 4, 10))
    assert (report.purged, report.through_seq) == (4, 4)
    assert report.dropped_partitions == ["audit_record_y2020m03"]
    assert _rows_by_partition(db) == {
        "audit_record_y2020m04": [5],
        "audit_record_y2026m11": [6, 7],
    }
    after = verify(db, SIGNER)
    assert after.ok, after.first_broken
    assert (after.first_seq, after.last_seq, after.checkpoints) == (5, 7, 1)
    # This process still remembers the dropped month: a record of that month
    # finds no partition, and the writer makes it again and appends.
    _append(db, [_at(2020, 3, 8)])
    assert _rows_by_partition(db)["audit_record_y2020m03"] == [8]
    assert verify(db, SIGNER).ok


@pytest.mark.postgres
def test_a_month_holding_a_link_past_the_purged_prefix_is_kept(db: Engine) -> None:
    """Replicas stamp records a moment before they append, so a month may hold a
    link that comes after a newer record in the chain: that month is not
    dropped, only the prefix is deleted."""
    create_schema(db)
    _append(db, [_at(2020, 3, 5), _at(2026, 11, 1), _at(2020, 3, 6)])
    report = purge(db, SIGNER, _at(2020, 5, 1))
    assert (report.purged, report.dropped_partitions) == (1, [])
    assert _rows_by_partition(db) == {
        "audit_record_y2020m03": [3],
        "audit_record_y2026m11": [2],
    }
    assert verify(db, SIGNER).ok


@pytest.mark.postgres
def test_the_migration_moves_the_records_in_and_back_out(db: Engine) -> None:
    upgrade(db, "0006")
    _append(db, [_at(2025, 1, 10), _at(2026, 11, 26)])
    with db.connect() as conn:
        assert not partitions.is_partitioned(conn)
    upgrade(db)
    with db.connect() as conn:
        assert partitions.is_partitioned(conn)
    assert _rows_by_partition(db) == {
        "audit_record_y2025m01": [1],
        "audit_record_y2026m11": [2],
    }
    _append(db, [_at(2026, 2, 1)])  # a month the migration did not make
    assert verify(db, SIGNER).ok
    downgrade(db, "0006")
    with db.connect() as conn:
        assert not partitions.is_partitioned(conn)
    assert _rows_by_partition(db) == {"audit_record": [1, 2, 3]}
    assert verify(db, SIGNER).ok


def test_sqlite_has_no_partitions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/plain.db")
    create_schema(engine)
    with engine.begin() as conn:
        assert partitions.ensure(conn, [_at(2026, 1, 1)]) == []
        assert partitions.partitions(conn) == []
    engine.dispose()


def test_month_bounds_are_utc_calendar_months() -> None:
    december = partitions.month_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert (december.name, december.start, december.end) == (
        "audit_record_y2026m12",
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert partitions.is_partition_name("audit_record_y2026m12")
    assert not partitions.is_partition_name("audit_record")
