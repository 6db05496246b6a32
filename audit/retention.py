"""Retention: purge records older than the retention period, leaving a signed
checkpoint so the records that remain still verify from there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update

from audit import partitions
from audit.chain import Signer, checkpoint_message
from audit.models import PurgeReport
from audit.store import HEAD, RECORDS
from audit.verify import CHECKPOINTS, anchor, verify
from db.times import as_utc
from policy.errors import Conflict

DEFAULT_RETENTION_YEARS = 5


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The same moment `years` earlier (28 February for a 29 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def purge(db: Engine, signer: Signer, cutoff: datetime, *, dry_run: bool = False) -> PurgeReport:
    """Delete the oldest records, those recorded before `cutoff`, as one prefix
    of the chain, and sign a checkpoint at the last one deleted.

    Refuses when the chain does not verify: a purge must not launder a
    tampered record into a signed checkpoint."""
    cutoff = as_utc(cutoff)
    report = verify(db, signer)
    if not report.ok:
        broken = report.first_broken
        where = f" at seq {broken.seq}: {broken.problem}" if broken else ""
        raise Conflict(f"the audit chain does not verify{where}; nothing was purged")
    with db.begin() as conn:
        # Lock the head first, as writers do, so no batch appends meanwhile.
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(id=1))
        start, _, _, _ = anchor(conn, signer)
        first_kept = conn.execute(
            select(func.min(RECORDS.c.seq)).where(RECORDS.c.recorded_at >= cutoff)
        ).scalar_one_or_none()
        last_seq = conn.execute(select(func.max(RECORDS.c.seq))).scalar_one_or_none()
        if last_seq is None:
            return PurgeReport(
                cutoff=cutoff, purged=0, through_seq=None, checkpoint_id=None, dry_run=dry_run
            )
        through = (first_kept - 1) if first_kept is not None else last_seq
        if through <= start:
            return PurgeReport(
                cutoff=cutoff, purged=0, through_seq=None, checkpoint_id=None, dry_run=dry_run
            )
        through_hash = conn.execute(
            select(RECORDS.c.hash).where(RECORDS.c.seq == through)
        ).scalar_one()
        purged = through - start
        if dry_run:
            return PurgeReport(
                cutoff=cutoff, purged=purged, through_seq=through, checkpoint_id=None, dry_run=True
            )
        previous_total = conn.execute(
            select(CHECKPOINTS.c.purged_total).order_by(CHECKPOINTS.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        total = (previous_total or 0) + purged
        signature = signer.sign(
            checkpoint_message(through, through_hash, total, cutoff.isoformat())
        )
        # On PostgreSQL whole months go at once (audit/partitions.py); what is
        # left of the purged prefix is deleted row by row.
        dropped = partitions.drop_through(conn, cutoff, through)
        conn.execute(delete(RECORDS).where(RECORDS.c.seq <= through))
        checkpoint_id = conn.execute(
            insert(CHECKPOINTS)
            .values(
                through_seq=through,
                through_hash=through_hash,
                purged_total=total,
                cutoff=cutoff,
                created_at=datetime.now(cutoff.tzinfo),
                key_id=signer.key_id,
                signature=signature,
            )
            .returning(CHECKPOINTS.c.id)
        ).scalar_one()
    return PurgeReport(
        cutoff=cutoff,
        purged=purged,
        through_seq=through,
        checkpoint_id=int(checkpoint_id),
        dropped_partitions=dropped,
    )
