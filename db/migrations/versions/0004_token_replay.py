"""The token replay store: each bearer token id (jti) and the token it belongs to
(auth/tables.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_use",
        sa.Column("issuer", sa.String(), nullable=False),
        sa.Column("jti", sa.String(), nullable=False),
        sa.Column("token_sha256", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti"),
    )
    op.create_index("ix_token_use_expires_at", "token_use", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_token_use_expires_at", table_name="token_use")
    op.drop_table("token_use")
