"""Appending to the chain and reading records back (synchronous; the writer
runs it on its own thread)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Dialect, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from audit import partitions
from audit.chain import GENESIS_HASH, Signer, head_message, link_hash
from audit.models import AuditRecord
from audit.tables import AuditChainHeadRow, AuditRecordRow
from db.driver import DriverStatement
from db.times import as_utc

RECORDS: Table = AuditRecordRow.__table__  # type: ignore[attr-defined]
HEAD: Table = AuditChainHeadRow.__table__  # type: ignore[attr-defined]


Companion = tuple[Table, dict[str, Any]]
"""A row of another owner's table written in the same transaction as a record (the
correspondence outbox beside a send's records): both are committed, or neither."""


@dataclass(frozen=True)
class Prepared:
    """A record ready to append: its canonical body, its indexed columns, and the
    rows to insert with it."""

    body: str
    columns: dict[str, Any]
    companions: tuple[Companion, ...] = ()


def prepare(record: AuditRecord, body: str, companions: Sequence[Companion] = ()) -> Prepared:
    return Prepared(
        companions=tuple(companions),
        body=body,
        columns={
            "recorded_at": as_utc(record.recorded_at),
            "kind": record.kind,
            "decision_id": record.decision_id,
            "child_cpr": record.child_cpr,
            "requester_id": record.requester.id,
            "organisation_id": record.requester.organisation_id,
            "outcome": record.outcome,
            "override": record.override.used,
        },
    )


class _Statements:
    """The chain's statements on every append, compiled once for one dialect and
    run on the driver's cursor (db.driver): SQLAlchemy's per-statement work was
    most of an append's CPU."""

    def __init__(self, dialect: Dialect) -> None:
        head = HEAD.c
        self.lock = DriverStatement(update(HEAD).where(head.id == 1).values(id=1), dialect)
        self.read = DriverStatement(
            select(head.seq, head.hash).where(head.id == 1), dialect, columns=[head.seq, head.hash]
        )
        self.insert = DriverStatement(
            insert(RECORDS), dialect, binds={column.key: column for column in RECORDS.columns}
        )
        moved = ("seq", "hash", "signature", "updated_at")
        self.move = DriverStatement(
            update(HEAD).where(head.id == 1), dialect, binds={name: head[name] for name in moved}
        )


_STATEMENTS: WeakKeyDictionary[Dialect, _Statements] = WeakKeyDictionary()


def _statements(dialect: Dialect) -> _Statements:
    found = _STATEMENTS.get(dialect)
    if found is None:
        found = _STATEMENTS[dialect] = _Statements(dialect)
    return found


def _lock_head(conn: Connection, cursor: Any, signer: Signer, now: datetime) -> tuple[int, str]:
    """Take the chain head for this transaction (creating it on first use).

    The UPDATE comes first on purpose: it takes SQLite's write lock (the driver
    opens the transaction at the first write, so a SELECT first would read the
    head outside any lock) and PostgreSQL's row lock before the head is read, so
    two writers (threads, the worker processes of `--workers N`, replicas) can
    never extend the chain from the same link. The other writer waits: SQLite's
    busy timeout (db/engine.py), PostgreSQL's lock wait; under READ COMMITTED the
    SELECT after the wait sees the head the other writer committed.
    tests/audit/test_writers.py forks the chain when this lock is left out."""
    statements = _statements(conn.dialect)
    if statements.lock.execute(cursor).rowcount == 0:
        conn.execute(
            insert(HEAD).values(
                id=1,
                seq=0,
                hash=GENESIS_HASH,
                signature=signer.sign(head_message(0, GENESIS_HASH)),
                updated_at=now,
            )
        )
    (head,) = statements.read.rows(cursor)
    return int(head.seq), str(head.hash)


def append(
    db: Engine, signer: Signer, batch: Sequence[Prepared], now: datetime
) -> list[tuple[int, str]]:
    """Append `batch` to the chain in one transaction; return (seq, hash) each."""
    for attempt in range(3):
        try:
            return _append_once(db, signer, batch, now)
        except IntegrityError:
            # Two first-ever writers raced to create the head, or (PostgreSQL) the
            # insert found no partition for a month this process thought it had
            # seen: the loser retries, asking the catalogue again.
            partitions.forget()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _append_once(
    db: Engine, signer: Signer, batch: Sequence[Prepared], now: datetime
) -> list[tuple[int, str]]:
    with db.begin() as conn, closing(conn.connection.cursor()) as cursor:
        statements = _statements(conn.dialect)
        seq, prev = _lock_head(conn, cursor, signer, now)
        partitions.ensure(conn, (item.columns["recorded_at"] for item in batch))
        rows: list[dict[str, Any]] = []
        links: list[tuple[int, str]] = []
        for item in batch:
            seq += 1
            digest = link_hash(seq, prev, item.body)
            rows.append(
                {**item.columns, "seq": seq, "body": item.body, "prev_hash": prev, "hash": digest}
            )
            links.append((seq, digest))
            prev = digest
        statements.insert.execute_many(cursor, rows)
        for item in batch:
            for table, values in item.companions:
                conn.execute(insert(table).values(**values))
        statements.move.execute(
            cursor,
            {
                "seq": seq,
                "hash": prev,
                "signature": signer.sign(head_message(seq, prev)),
                "updated_at": now,
            },
        )
    return links


def find_decision(db: Engine, decision_id: str) -> AuditRecord | None:
    """The committed decision record with this id, if any."""
    with db.connect() as conn:
        body = conn.execute(
            select(RECORDS.c.body)
            .where(RECORDS.c.decision_id == decision_id, RECORDS.c.kind == "decision")
            .limit(1)
        ).scalar_one_or_none()
    return None if body is None else AuditRecord.model_validate_json(body)
