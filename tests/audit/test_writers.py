"""Several writer processes, one chain: `hoi serve --workers N` runs N audit
writers on one database. Each group commit must take the chain head under a
database lock, or two writers extend the chain from the same link (a fork: two
records with the same seq and prev_hash) and the chain no longer verifies.

Two AuditLogs on two engines (two connection pools, as two processes have)
append at once, in small batches so that their commits interleave; on SQLite
and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from audit.chain import DEV_AUDIT_KEY, Signer
from audit.log import AuditLog, override_attempt_record
from audit.verify import verify
from db.engine import make_engine
from db.schema import create_schema
from policy.decision import DecisionRequest
from tests.audit.helpers import request_body, story
from tests.registry.conftest import DATABASES, create_database, drop_database

PER_WRITER = 150


@pytest.fixture(params=DATABASES)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, made for this test only."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.db'}"
        return
    from tests.registry.conftest import _admin_url

    admin: URL = _admin_url()
    url = create_database(admin, "hoi_test_audit")
    yield url.render_as_string(hide_password=False)
    drop_database(admin, url)


def _record(n: int) -> object:
    request = DecisionRequest.model_validate(request_body(story(n % 3)))
    return override_attempt_record(
        request,
        refusal=f"writer test {n}",
        # Each record its own moment, as in service: the primary key (seq,
        # recorded_at) then cannot refuse a second record at the same seq.
        recorded_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC) + timedelta(microseconds=n),
        trace_id=f"trace-{n}",
        client_address=None,
        acting_system=None,
        policy_revision="test",
        engine="embedded",
    )


async def _append_from_two_writers(engines: list[Engine]) -> list[int]:
    signer = Signer(DEV_AUDIT_KEY)  # every worker signs with the service's one key
    logs = [AuditLog(db, signer, max_batch=3) for db in engines]
    records = [_record(n) for n in range(2 * PER_WRITER)]
    try:
        receipts = await asyncio.gather(
            *(logs[n % 2].submit(record) for n, record in enumerate(records))  # type: ignore[arg-type]
        )
    finally:
        for log in logs:
            await log.aclose()
    return [r.seq for r in receipts]


def test_two_writers_extend_one_chain(shared_url: str) -> None:
    engines = [make_engine(shared_url), make_engine(shared_url)]
    try:
        create_schema(engines[0])
        seqs = asyncio.run(_append_from_two_writers(engines))
        assert sorted(seqs) == list(range(1, 2 * PER_WRITER + 1))
        with engines[0].connect() as conn:
            forks = conn.execute(
                text("SELECT count(*) FROM audit_record GROUP BY prev_hash HAVING count(*) > 1")
            ).all()
        assert forks == []
        report = verify(engines[0], Signer(DEV_AUDIT_KEY))
        assert report.ok, report.first_broken
    finally:
        for db in engines:
            db.dispose()


def test_verify_while_writers_append_sees_one_moment_of_the_chain(shared_url: str) -> None:
    """An auditor's verify (GET /v1/audit/verify, `hoi audit verify`) runs while the
    workers append: it must read the records and the signed head as of one moment,
    or an append between the two reads looks like records cut off the end."""
    writer_db, reader_db = make_engine(shared_url), make_engine(shared_url)
    try:
        create_schema(writer_db)
        signer = Signer(DEV_AUDIT_KEY)
        reports = []

        async def append_and_verify() -> None:
            log = AuditLog(writer_db, signer, max_batch=2)
            try:
                appending = asyncio.gather(*(log.submit(_record(n)) for n in range(400)))  # type: ignore[arg-type]
                while not appending.done():
                    reports.append(await asyncio.to_thread(verify, reader_db, signer))
                await appending
            finally:
                await log.aclose()

        asyncio.run(append_and_verify())
        broken = [r.first_broken for r in reports if not r.ok]
        assert len(reports) > 3
        assert broken == []
    finally:
        writer_db.dispose()
        reader_db.dispose()
