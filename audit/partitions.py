"""Monthly partitions of the audit trail on PostgreSQL.

On PostgreSQL `audit_record` is partitioned by range of `recorded_at`, one
partition per calendar month in UTC (migration 0007), so that a query for a
period reads only its months and retention drops whole months instead of
deleting row by row. SQLite has no partitions; there every function here does
nothing.

A writer makes the partition of a month the first time it appends a record of
that month, under the chain head's lock (audit/store.py), so two replicas never
race to make it. Which partitions a process has seen is remembered, so the
common append asks the catalogue nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

PARENT = "audit_record"
_NAME = re.compile(r"^audit_record_y(\d{4})m(\d{2})$")

_known: set[tuple[str, str]] = set()
"""(database, partition) pairs this process has made or seen."""

_plain: set[str] = set()
"""Databases whose audit_record this process found unpartitioned."""


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    """First moment of the month (UTC), inclusive."""
    end: datetime
    """First moment of the next month (UTC), exclusive."""


def month_of(moment: datetime) -> Partition:
    """The partition a record recorded at `moment` belongs in."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    start = datetime(utc.year, utc.month, 1, tzinfo=UTC)
    end = datetime(utc.year + utc.month // 12, utc.month % 12 + 1, 1, tzinfo=UTC)
    return Partition(f"{PARENT}_y{start.year:04d}m{start.month:02d}", start, end)


def create_statement(partition: Partition) -> str:
    """The DDL that makes one month's partition. (DDL takes no bound
    parameters; the bounds are our own timestamps, written out.)"""
    return (
        f'CREATE TABLE "{partition.name}" PARTITION OF {PARENT} FOR VALUES '
        f"FROM ('{partition.start.isoformat()}') TO ('{partition.end.isoformat()}')"
    )


def is_partition_name(name: str) -> bool:
    """Whether a table name is one of the audit trail's monthly partitions (the
    schema comparison of the migrations leaves them out: the models describe
    the parent)."""
    return _NAME.match(name) is not None


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:name)"),
        {"name": PARENT},
    ).first()
    return found is not None


def _database(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def ensure(conn: Connection, moments: Iterable[datetime]) -> list[str]:
    """Make the partitions for the months of `moments` that do not exist yet;
    return the names made. Call it holding the chain head's lock.

    What is remembered may be wrong if the transaction then fails, or a purge
    or a recreated database removes a partition; the insert then finds no
    partition for its row, and the writer calls `forget` and tries again."""
    if conn.dialect.name != "postgresql":
        return []
    database = _database(conn)
    if database in _plain:
        return []
    wanted = {month_of(m) for m in moments}
    missing = [p for p in wanted if (database, p.name) not in _known]
    if not missing:
        return []
    if not is_partitioned(conn):
        _plain.add(database)
        return []
    made: list[str] = []
    for partition in sorted(missing, key=lambda p: p.start):
        exists = conn.execute(text("SELECT to_regclass(:name)"), {"name": partition.name}).scalar()
        if exists is None:
            conn.execute(text(create_statement(partition)))
            made.append(partition.name)
        _known.add((database, partition.name))
    return made


def forget() -> None:
    """Ask the catalogue again next time."""
    _known.clear()
    _plain.clear()


def partitions(conn: Connection) -> list[Partition]:
    """The monthly partitions that exist, oldest first."""
    if not is_partitioned(conn):
        return []
    names: Iterable[str] = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:parent)"
        ),
        {"parent": PARENT},
    ).scalars()
    found = []
    for name in names:
        matched = _NAME.match(name)
        if matched:
            year, month = int(matched.group(1)), int(matched.group(2))
            found.append(month_of(datetime(year, month, 1, tzinfo=UTC)))
    return sorted(found, key=lambda p: p.start)


def drop_through(conn: Connection, cutoff: datetime, through_seq: int) -> list[str]:
    """Drop the partitions that lie wholly before `cutoff` and hold only links
    up to `through_seq` (the purged prefix of the chain); return their names.
    The caller deletes what is left of the prefix row by row and holds the
    chain head's lock."""
    dropped: list[str] = []
    for partition in partitions(conn):
        if partition.end > cutoff:
            break
        query = f'SELECT max(seq) FROM "{partition.name}"'  # noqa: S608 - our own name
        newest = conn.execute(text(query)).scalar()
        if newest is not None and newest > through_seq:
            break
        conn.execute(text(f'DROP TABLE "{partition.name}"'))
        dropped.append(partition.name)
    return dropped
