"""The correspondence outbox: messages waiting for the message network, each with
its delivery status and acknowledgement (correspondence/tables.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "correspondence_outbox",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("decision_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender_organisation_id", sa.String(), nullable=False),
        sa.Column("recipient_organisation_id", sa.String(), nullable=False),
        sa.Column("recipient_gln", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=True),
        sa.Column("bundle", sa.Text(), nullable=True),
        sa.Column("bundle_sha256", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledgement", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index(
        "ix_correspondence_outbox_decision_id", "correspondence_outbox", ["decision_id"]
    )
    op.create_index(
        "ix_correspondence_outbox_due", "correspondence_outbox", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_correspondence_outbox_due", table_name="correspondence_outbox")
    op.drop_index("ix_correspondence_outbox_decision_id", table_name="correspondence_outbox")
    op.drop_table("correspondence_outbox")
