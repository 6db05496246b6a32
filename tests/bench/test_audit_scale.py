"""The national-size audit bench fills the trail with records the service can
read: real decision bodies that agree with their indexed columns, synthetic
(replacement-style) CPR numbers, one partition per month, a chain head that the
next append continues from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from audit import partitions
from audit.models import AuditRecord
from audit.query import search
from audit.store import append, prepare
from bench import audit_scale
from db.engine import make_engine
from db.schema import create_schema
from tests.registry.conftest import _admin_url, create_database, drop_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def db() -> Iterator[Engine]:
    admin = _admin_url()
    url = create_database(admin, "hoi_test_scale_bench")
    engine = make_engine(url.render_as_string(hide_password=False))
    create_schema(engine)
    yield engine
    engine.dispose()
    drop_database(admin, url)


def test_the_fill_is_records_the_service_reads(db: Engine) -> None:
    record, template = audit_scale._template()
    assert record.child_cpr not in template
    audit_scale.fill(db, record, template, rows=3_000, months=3)

    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT seq, recorded_at, child_cpr, requester_id, decision_id, body "
                "FROM audit_record WHERE seq % 97 = 0"
            )
        ).all()
        months = partitions.partitions(conn)
    assert len(rows) == 3_000 // 97
    for row in rows:
        body = AuditRecord.model_validate_json(row.body)
        assert (body.child_cpr, body.requester.id, body.decision_id) == (
            row.child_cpr,
            row.requester_id,
            row.decision_id,
        )
        assert body.recorded_at == row.recorded_at
        # Replacement-style: the day of birth is 61..88, never a real person's.
        assert 61 <= int(row.child_cpr[:2]) <= 88
    assert len(months) >= 3

    # The bench's queries find what the fill wrote, with the service's own code.
    child = rows[0].child_cpr
    assert any(r.record.child_cpr == child for r in search(db, child_cpr=child).records)
    assert child in {audit_scale.child_number(k) for k in range(audit_scale.CHILDREN)}

    # The next append continues the chain from the last synthetic link.
    now = datetime.now(UTC)
    copy = record.model_copy(update={"recorded_at": now, "decided_at": now})
    [(seq, _)] = append(db, audit_scale.SIGNER, [prepare(copy, copy.model_dump_json())], now)
    assert seq == 3_001


def test_a_kept_fill_is_reused_only_for_the_same_rows_and_months(db: Engine) -> None:
    record, template = audit_scale._template()
    audit_scale.fill(db, record, template, rows=300, months=2)
    url = db.url

    assert audit_scale.kept_fill(url, 300, 2) is not None
    assert audit_scale.kept_fill(url, 301, 2) is None
    assert audit_scale.kept_fill(url, 300, 3) is None
    assert audit_scale.kept_fill(url.set(database="hoi_test_scale_bench_none"), 300, 2) is None

    # Records appended since do not spoil it; a record of the fill gone (a month
    # dropped by the retention step) does.
    now = datetime.now(UTC)
    copy = record.model_copy(update={"recorded_at": now, "decided_at": now})
    append(db, audit_scale.SIGNER, [prepare(copy, copy.model_dump_json())], now)
    assert audit_scale.kept_fill(url, 300, 2) is not None
    with db.begin() as conn:
        conn.execute(text("DELETE FROM audit_record WHERE seq = 1"))
    assert audit_scale.kept_fill(url, 300, 2) is None


def test_the_server_settings_are_reported(db: Engine) -> None:
    settings = audit_scale.server_settings(db)
    assert set(settings) == set(audit_scale.SETTINGS)
    assert settings["server_version"].split(".")[0].isdigit()
