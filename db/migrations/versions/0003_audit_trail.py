"""The audit trail: hash-chained records, the signed chain head and retention
checkpoints (audit/tables.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_record",
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
        sa.PrimaryKeyConstraint("seq", "recorded_at"),
    )
    op.create_index("ix_audit_record_recorded_at", "audit_record", ["recorded_at"])
    op.create_index("ix_audit_record_child_time", "audit_record", ["child_cpr", "recorded_at"])
    op.create_index(
        "ix_audit_record_requester_time", "audit_record", ["requester_id", "recorded_at"]
    )
    op.create_index(
        "ix_audit_record_organisation_time", "audit_record", ["organisation_id", "recorded_at"]
    )
    op.create_index("ix_audit_record_decision", "audit_record", ["decision_id"])
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through_seq", sa.Integer(), nullable=False),
        sa.Column("through_hash", sa.String(), nullable=False),
        sa.Column("purged_total", sa.Integer(), nullable=False),
        sa.Column("cutoff", _TZ, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain_head")
    for index in (
        "ix_audit_record_decision",
        "ix_audit_record_organisation_time",
        "ix_audit_record_requester_time",
        "ix_audit_record_child_time",
        "ix_audit_record_recorded_at",
    ):
        op.drop_index(index, table_name="audit_record")
    op.drop_table("audit_record")
