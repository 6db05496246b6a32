"""The foundation's registry: consents, objections and blocks.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("child_cpr", sa.String(), nullable=False),
        sa.Column("regime", sa.String(), nullable=False),
        sa.Column("giver_cpr", sa.String(), nullable=False),
        sa.Column("giver_capacity", sa.String(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("recipient_organisation_type", sa.String(), nullable=True),
        sa.Column("recipient_organisation_id", sa.String(), nullable=True),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("form", sa.String(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_consent_child_cpr", "consent", ["child_cpr"])
    op.create_table(
        "objection",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("child_cpr", sa.String(), nullable=False),
        sa.Column("person_cpr", sa.String(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("recipient_organisation_type", sa.String(), nullable=True),
        sa.Column("recipient_organisation_id", sa.String(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_objection_child_cpr", "objection", ["child_cpr"])
    op.create_table(
        "block",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("child_cpr", sa.String(), nullable=False),
        sa.Column("target_kind", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("include_sub_units", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_block_child_cpr", "block", ["child_cpr"])


def downgrade() -> None:
    op.drop_index("ix_block_child_cpr", table_name="block")
    op.drop_table("block")
    op.drop_index("ix_objection_child_cpr", table_name="objection")
    op.drop_table("objection")
    op.drop_index("ix_consent_child_cpr", table_name="consent")
    op.drop_table("consent")
