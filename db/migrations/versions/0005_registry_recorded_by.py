"""Who wrote each registry entry: the person with their own citizen login, or a
professional on the family's behalf (registry.models.RecordedBy); and who
reported a revocation.

Entries written before this revision were written by whoever called the API;
they are marked `{"kind": "unknown"}` rather than guessed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None

_UNKNOWN = sa.text('\'{"kind": "unknown"}\'')


def upgrade() -> None:
    for table in ("consent", "objection", "block"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("recorded_by", sa.JSON(), nullable=False, server_default=_UNKNOWN)
            )
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("revocation_recorded_by", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("revocation_recorded_by")
    for table in ("consent", "objection", "block"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("recorded_by")
