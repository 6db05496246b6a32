"""Auditor queries: filters over the indexed columns, newest first, keyset paging.

The cursor is the (recorded_at, seq) of the last row of a page, so each page is
an index range scan on a time index, however deep the paging goes."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, or_, select

from audit.models import AuditPage, AuditRecord, StoredRecord
from audit.store import RECORDS
from db.times import as_utc
from policy.errors import InvalidRequest

MAX_PAGE = 500
MAX_SEQ = 2**63 - 1
"""The largest chain position a database integer holds."""


@dataclass(frozen=True)
class Cursor:
    recorded_at: datetime
    seq: int

    def encode(self) -> str:
        raw = f"{as_utc(self.recorded_at).isoformat()}|{self.seq}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            moment, seq = raw.split("|")
            # A chain position is 1..MAX_SEQ in ASCII digits; anything else would
            # overflow the database's integer or was never ours.
            if not (seq.isascii() and seq.isdigit() and 0 < len(seq) <= 19):
                raise ValueError("not a chain position")
            number = int(seq)
            if not 1 <= number <= MAX_SEQ:
                raise ValueError("not a chain position")
            return cls(as_utc(datetime.fromisoformat(moment)), number)
        except (ValueError, OverflowError) as exc:
            raise InvalidRequest(
                "the cursor is not one this service issued", field="cursor"
            ) from exc


def page_query(
    conn: Connection,
    *,
    limit: int,
    cursor: Cursor | None = None,
    child_cpr: str | None = None,
    requester_id: str | None = None,
    organisation_id: str | None = None,
    outcome: str | None = None,
    kind: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """One page of rows matching the filters (`kind`: one kind or any of several),
    and the cursor for the next."""
    limit = max(1, min(limit, MAX_PAGE))
    conditions = []
    for column, value in (
        (RECORDS.c.child_cpr, child_cpr),
        (RECORDS.c.requester_id, requester_id),
        (RECORDS.c.organisation_id, organisation_id),
        (RECORDS.c.outcome, outcome),
    ):
        if value is not None:
            conditions.append(column == value)
    if isinstance(kind, str):
        conditions.append(RECORDS.c.kind == kind)
    elif kind is not None:
        conditions.append(RECORDS.c.kind.in_(list(kind)))
    if since is not None:
        conditions.append(RECORDS.c.recorded_at >= as_utc(since))
    if until is not None:
        conditions.append(RECORDS.c.recorded_at < as_utc(until))
    if cursor is not None:
        at = as_utc(cursor.recorded_at)
        # The first condition is implied by the second; it is there so that the
        # database starts the index range at the cursor (and reads only the months
        # up to it) rather than filtering the newer rows out one by one.
        conditions.append(RECORDS.c.recorded_at <= at)
        conditions.append(
            or_(
                RECORDS.c.recorded_at < at,
                and_(RECORDS.c.recorded_at == at, RECORDS.c.seq < cursor.seq),
            )
        )
    rows = conn.execute(
        select(RECORDS)
        .where(*conditions)
        .order_by(RECORDS.c.recorded_at.desc(), RECORDS.c.seq.desc())
        .limit(limit + 1)
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = Cursor(last.recorded_at, last.seq).encode()
    return rows, next_cursor


def _stored(row: Row[Any]) -> StoredRecord:
    return StoredRecord(
        seq=row.seq,
        hash=row.hash,
        prev_hash=row.prev_hash,
        record=AuditRecord.model_validate_json(row.body),
    )


def search(
    db: Engine, *, limit: int = 50, cursor: Cursor | None = None, **filters: Any
) -> AuditPage:
    with db.connect() as conn:
        rows, next_cursor = page_query(conn, limit=limit, cursor=cursor, **filters)
    return AuditPage(records=[_stored(r) for r in rows], next_cursor=next_cursor)


def records_of_decision(db: Engine, decision_id: str) -> list[StoredRecord]:
    """The decision's record and its disclosures, in chain order."""
    with db.connect() as conn:
        rows = conn.execute(
            select(RECORDS).where(RECORDS.c.decision_id == decision_id).order_by(RECORDS.c.seq)
        ).all()
    return [_stored(r) for r in rows]
