"""Checking the chain: every link, every checkpoint, the signed head."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from audit.chain import GENESIS_HASH, Signer, checkpoint_message, head_message, link_hash
from audit.models import BrokenLink, VerifyReport
from audit.store import HEAD, RECORDS
from audit.tables import AuditCheckpointRow
from db.times import as_utc

CHECKPOINTS: Table = AuditCheckpointRow.__table__  # type: ignore[attr-defined]


def _columns_problem(row: Any) -> str | None:
    """Whether the indexed columns say what the hashed body says."""
    try:
        body = json.loads(row.body)
        expected = {
            "kind": body["kind"],
            "decision_id": body["decision_id"],
            "child_cpr": body["child_cpr"],
            "requester_id": body["requester"]["id"],
            "organisation_id": body["requester"]["organisation_id"],
            "outcome": body["outcome"],
            "override": body["override"]["used"],
        }
        recorded_at = as_utc(datetime.fromisoformat(body["recorded_at"]))
    except (ValueError, KeyError, TypeError):
        return "the record's body is not a readable audit record"
    for name, value in expected.items():
        if getattr(row, name) != value:
            return f"the column {name} differs from the hashed record"
    if as_utc(row.recorded_at) != recorded_at:
        return "the column recorded_at differs from the hashed record"
    return None


def anchor(conn: Connection, signer: Signer) -> tuple[int, str, int, BrokenLink | None]:
    """Where the remaining chain starts: the last valid checkpoint, or genesis."""
    seq, digest, count = 0, GENESIS_HASH, 0
    rows = conn.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.id)).all()
    for row in rows:
        count += 1
        message = checkpoint_message(
            row.through_seq, row.through_hash, row.purged_total, as_utc(row.cutoff).isoformat()
        )
        if not signer.valid(message, row.signature):
            problem = f"checkpoint {row.id} is not signed with this service's audit key"
            return seq, digest, count, BrokenLink(seq=row.through_seq, problem=problem)
        if row.through_seq <= seq:
            problem = f"checkpoint {row.id} does not advance past seq {seq}"
            return seq, digest, count, BrokenLink(seq=row.through_seq, problem=problem)
        seq, digest = row.through_seq, row.through_hash
    return seq, digest, count, None


@contextmanager
def one_moment(db: Engine) -> Iterator[Connection]:
    """A connection whose reads all see the database as of one moment (a snapshot).

    The workers append while an auditor verifies: read apart, the records and the
    signed head disagree whenever a batch commits between the two reads, and an
    intact chain would be reported cut off at the end. PostgreSQL: a REPEATABLE
    READ transaction; SQLite (WAL): one read transaction (the driver opens none
    for reads)."""
    with db.connect() as conn:
        if db.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
            return
        if db.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # ended by the connection's rollback on close
        yield conn


def verify(db: Engine, signer: Signer) -> VerifyReport:
    """Walk the chain from its anchor; report the first broken link."""
    checked = 0
    first_seq: int | None = None
    last_seq: int | None = None

    def report(checkpoints: int, broken: BrokenLink | None) -> VerifyReport:
        return VerifyReport(
            ok=broken is None,
            records_checked=checked,
            first_seq=first_seq,
            last_seq=last_seq,
            checkpoints=checkpoints,
            first_broken=broken,
        )

    with one_moment(db) as conn:
        seq, prev, checkpoints, broken = anchor(conn, signer)
        if broken is not None:
            return report(checkpoints, broken)
        rows = conn.execution_options(yield_per=1000).execute(
            select(RECORDS).order_by(RECORDS.c.seq, RECORDS.c.recorded_at)
        )
        for row in rows:
            expected = seq + 1
            if row.seq < expected:
                problem = (
                    f"a second record claims seq {row.seq}"
                    if row.seq == seq and checked
                    else f"record {row.seq} lies before the chain's anchor at seq {seq}"
                )
                return report(checkpoints, BrokenLink(seq=row.seq, problem=problem))
            if row.seq > expected:
                missing = (
                    f"record {expected} is missing"
                    if row.seq == expected + 1
                    else f"records {expected} to {row.seq - 1} are missing"
                )
                return report(checkpoints, BrokenLink(seq=expected, problem=missing))
            if row.prev_hash != prev:
                problem = "the link to the previous record is broken (prev_hash differs)"
                return report(checkpoints, BrokenLink(seq=row.seq, problem=problem))
            if link_hash(row.seq, row.prev_hash, row.body) != row.hash:
                problem = "the record was altered (its hash does not match its content)"
                return report(checkpoints, BrokenLink(seq=row.seq, problem=problem))
            column_problem = _columns_problem(row)
            if column_problem is not None:
                return report(checkpoints, BrokenLink(seq=row.seq, problem=column_problem))
            seq, prev = row.seq, row.hash
            checked += 1
            first_seq = row.seq if first_seq is None else first_seq
            last_seq = row.seq
        head = conn.execute(select(HEAD).where(HEAD.c.id == 1)).one_or_none()
    if head is None:
        if checked or checkpoints:
            return report(checkpoints, BrokenLink(seq=seq, problem="the chain head is missing"))
        return report(checkpoints, None)
    if not signer.valid(head_message(head.seq, head.hash), head.signature):
        problem = "the chain head is not signed with this service's audit key"
        return report(checkpoints, BrokenLink(seq=head.seq, problem=problem))
    if head.seq != seq or head.hash != prev:
        if head.seq > seq:
            problem = f"records {seq + 1} to {head.seq} are missing from the end of the chain"
            return report(checkpoints, BrokenLink(seq=seq + 1, problem=problem))
        if head.seq == seq:
            problem = "the last record is not the one the signed chain head names"
            return report(checkpoints, BrokenLink(seq=seq, problem=problem))
        problem = f"records after seq {head.seq} were added outside the audit writer"
        return report(checkpoints, BrokenLink(seq=head.seq + 1, problem=problem))
    return report(checkpoints, None)
