"""The audit trail by month on PostgreSQL: audit_record becomes a table
partitioned by range of recorded_at, one partition per UTC month
(audit/partitions.py), its rows copied over. SQLite is left as it is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from audit.partitions import create_statement, month_of

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)

INDEXES = {
    "ix_audit_record_recorded_at": ["recorded_at"],
    "ix_audit_record_child_time": ["child_cpr", "recorded_at"],
    "ix_audit_record_requester_time": ["requester_id", "recorded_at"],
    "ix_audit_record_organisation_time": ["organisation_id", "recorded_at"],
    "ix_audit_record_decision": ["decision_id"],
}


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", _TZ, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("decision_id", sa.String(), nullable=False),
        sa.Column("child_cpr", sa.String(), nullable=False),
        sa.Column("requester_id", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
    ]


def _set_aside(suffix: str) -> str:
    """Rename the current table, its key and its indexes out of the way."""
    old = f"audit_record_{suffix}"
    op.execute(f"ALTER TABLE audit_record RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT audit_record_pkey TO {old}_pkey")
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RENAME TO {index}_{suffix}")
    return old


def _create(partitioned: bool) -> None:
    key = sa.PrimaryKeyConstraint("seq", "recorded_at", name="audit_record_pkey")
    if partitioned:
        op.create_table(
            "audit_record", *_columns(), key, postgresql_partition_by="RANGE (recorded_at)"
        )
    else:
        op.create_table("audit_record", *_columns(), key)
    for index, columns in INDEXES.items():
        op.create_index(index, "audit_record", columns)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    old = _set_aside("unpartitioned")
    _create(partitioned=True)
    # A partition for every month that has records, and for this month and the
    # next, so that the first appends after the upgrade find theirs.
    months = {
        month_of(row[0])
        for row in op.get_bind().execute(
            sa.text(f"SELECT DISTINCT date_trunc('month', recorded_at, 'UTC') FROM {old}")  # noqa: S608
        )
    }
    now = datetime.now(UTC)
    months |= {month_of(now), month_of(month_of(now).end)}
    for partition in sorted(months, key=lambda p: p.start):
        op.execute(create_statement(partition))
    op.execute(f"INSERT INTO audit_record SELECT * FROM {old}")  # noqa: S608 - our own name
    op.execute(f"DROP TABLE {old}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    old = _set_aside("partitioned")
    _create(partitioned=False)
    op.execute(f"INSERT INTO audit_record SELECT * FROM {old}")  # noqa: S608 - our own name
    op.execute(f"DROP TABLE {old}")  # and its partitions with it
