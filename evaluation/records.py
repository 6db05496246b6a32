"""The audit records of a period, read from the audit trail (metadata only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlmodel
from sqlalchemy import Engine, select

from audit.models import AuditRecord
from audit.store import RECORDS
from db.times import as_utc
from evaluation.figures import ConsentFact
from registry.tables import ConsentRow

_BATCH = 2_000


def _bodies(
    db: Engine, start: datetime | None, end: datetime, kinds: tuple[str, ...]
) -> Iterator[str]:
    query = select(RECORDS.c.body).where(RECORDS.c.recorded_at < end, RECORDS.c.kind.in_(kinds))
    if start is not None:
        query = query.where(RECORDS.c.recorded_at >= start)
    with db.connect() as connection:
        rows = connection.execute(query.order_by(RECORDS.c.seq).execution_options(yield_per=_BATCH))
        for (body,) in rows:
            yield str(body)


def period(db: Engine, start: datetime, end: datetime) -> list[AuditRecord]:
    """Decisions and disclosures recorded in [start, end)."""
    return [
        AuditRecord.model_validate_json(b)
        for b in _bodies(db, start, end, ("decision", "disclosure"))
    ]


def consents(db: Engine, end: datetime) -> list[ConsentFact]:
    """Every consent recorded before `end`, as the registry holds it: its id, regime,
    child and when it was recorded (nothing about who gave it)."""
    query = sqlmodel.select(
        ConsentRow.id, ConsentRow.child_cpr, ConsentRow.regime, ConsentRow.recorded_at
    ).where(sqlmodel.col(ConsentRow.recorded_at) < end)
    with sqlmodel.Session(db) as session:
        return [
            ConsentFact(id=i, child=c, regime=r, recorded_at=as_utc(at))
            for i, c, r, at in session.exec(query)
        ]
