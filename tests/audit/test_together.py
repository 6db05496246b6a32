"""Records and another owner's rows in one transaction: all or nothing.

The correspondence outbox is written beside a send's decision and disclosure
records (`AuditLog.submit_together`); a failure of any row leaves neither the
records nor the row, and the chain still verifies."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.exc import IntegrityError

from audit.chain import DEV_AUDIT_KEY, Signer
from audit.log import AuditLog, AuditUnavailable, override_attempt_record
from audit.models import AuditRecord
from audit.store import RECORDS
from audit.verify import verify
from db.engine import make_engine
from db.schema import create_schema
from policy.decision import DecisionRequest
from tests.audit.helpers import request_body, story

COMPANION = Table(
    "together_test_rows", MetaData(), Column("id", String, primary_key=True), Column("n", Integer)
)


def _record(n: int) -> AuditRecord:
    return override_attempt_record(
        DecisionRequest.model_validate(request_body(story(0))),
        refusal=f"together {n}",
        recorded_at=datetime(2026, 11, 26, 8, 0, n, tzinfo=UTC),
        trace_id=f"trace-{n}",
        client_address=None,
        acting_system=None,
        policy_revision="test",
        engine="embedded",
    )


def test_records_and_companion_rows_commit_together_or_not_at_all(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path / 'hoi.db'}")
    create_schema(db)
    COMPANION.create(db)
    signer = Signer(DEV_AUDIT_KEY)

    async def scenario() -> None:
        log = AuditLog(db, signer)
        try:
            receipts = await log.submit_together(
                [_record(1), _record(2)], [(COMPANION, {"id": "m-1", "n": 1})]
            )
            assert [r.seq for r in receipts] == [1, 2]
            # The same row again: its group fails, records included; a record
            # queued beside it (same group commit) is committed on its own.
            bad, good = await asyncio.gather(
                log.submit_together([_record(3), _record(4)], [(COMPANION, {"id": "m-1", "n": 2})]),
                log.submit(_record(5)),
                return_exceptions=True,
            )
            assert isinstance(bad, AuditUnavailable)
            assert isinstance(bad.__cause__, IntegrityError)
            assert not isinstance(good, BaseException) and good.seq == 3
            # The writer goes on from the same head.
            (receipt,) = await log.submit_together([_record(6)])
            assert receipt.seq == 4
        finally:
            await log.aclose()

    asyncio.run(scenario())
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RECORDS)).scalar_one() == 4
        assert conn.execute(select(COMPANION.c.n)).scalars().all() == [1]
    assert verify(db, signer).ok
