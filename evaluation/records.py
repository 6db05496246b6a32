"""The audit records of a period, read from the audit trail (metadata only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, select

from audit.models import AuditRecord
from audit.store import RECORDS

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


def registry_writes(db: Engine, end: datetime) -> list[AuditRecord]:
    """Every registry write before `end` (consents' regimes and when they were given)."""
    return [AuditRecord.model_validate_json(b) for b in _bodies(db, None, end, ("registry_write",))]
