"""Registry with history: given date, capped expiry, supersession, who revoked,
withdrew or lifted, block givers and target kinds, and the append-only event table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_NAIVE = sa.DateTime()


def _to_utc(table: str, column: str, nullable: bool) -> None:
    """Naive timestamps were written in UTC; keep them as UTC moments."""
    with op.batch_alter_table(table) as batch:
        batch.alter_column(
            column,
            type_=_TZ,
            existing_type=_NAIVE,
            existing_nullable=nullable,
            postgresql_using=f"{column} AT TIME ZONE 'UTC'",
        )


def _to_naive(table: str, column: str, nullable: bool) -> None:
    with op.batch_alter_table(table) as batch:
        batch.alter_column(
            column,
            type_=_NAIVE,
            existing_type=_TZ,
            existing_nullable=nullable,
            postgresql_using=f"{column} AT TIME ZONE 'UTC'",
        )


def upgrade() -> None:
    with op.batch_alter_table("consent") as batch:
        batch.alter_column("valid_from", new_column_name="given_on", existing_type=sa.Date())
        batch.add_column(sa.Column("valid_until_requested", sa.Date(), nullable=True))
        batch.add_column(sa.Column("custodian_organisation_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(), nullable=False, server_default="api"))
        batch.add_column(
            sa.Column("source_identifiers", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("revoked_by_cpr", sa.String(), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("superseded_at", _TZ, nullable=True))
    _to_utc("consent", "recorded_at", False)
    _to_utc("consent", "revoked_at", True)

    with op.batch_alter_table("objection") as batch:
        batch.add_column(
            sa.Column(
                "person_capacity", sa.String(), nullable=False, server_default="custody_holder"
            )
        )
        batch.add_column(sa.Column("withdrawn_by_cpr", sa.String(), nullable=True))
    _to_utc("objection", "recorded_at", False)
    _to_utc("objection", "withdrawn_at", True)

    with op.batch_alter_table("block") as batch:
        batch.add_column(sa.Column("given_by_cpr", sa.String(), nullable=True))
        batch.add_column(sa.Column("given_by_capacity", sa.String(), nullable=True))
        batch.add_column(sa.Column("lifted_by_cpr", sa.String(), nullable=True))
        batch.alter_column("target_id", existing_type=sa.String(), nullable=True)
    _to_utc("block", "recorded_at", False)
    _to_utc("block", "lifted_at", True)

    op.create_table(
        "registry_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("child_cpr", sa.String(), nullable=False),
        sa.Column("entry_kind", sa.String(), nullable=False),
        sa.Column("entry_id", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("by_cpr", sa.String(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_registry_event_child_cpr", "registry_event", ["child_cpr"])
    op.create_index("ix_registry_event_entry_id", "registry_event", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_registry_event_entry_id", table_name="registry_event")
    op.drop_index("ix_registry_event_child_cpr", table_name="registry_event")
    op.drop_table("registry_event")

    _to_naive("block", "lifted_at", True)
    _to_naive("block", "recorded_at", False)
    # Period blocks have no target and the old schema cannot hold them; history is
    # never deleted, so a registry that has any cannot go back.
    orphans: int = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM block WHERE target_id IS NULL"))
        .scalar_one()
    )
    if orphans:
        raise RuntimeError(
            f"{orphans} period block(s) cannot be kept by revision 0001; not downgrading"
        )
    with op.batch_alter_table("block") as batch:
        batch.alter_column("target_id", existing_type=sa.String(), nullable=False)
        batch.drop_column("lifted_by_cpr")
        batch.drop_column("given_by_capacity")
        batch.drop_column("given_by_cpr")

    _to_naive("objection", "withdrawn_at", True)
    _to_naive("objection", "recorded_at", False)
    with op.batch_alter_table("objection") as batch:
        batch.drop_column("withdrawn_by_cpr")
        batch.drop_column("person_capacity")

    _to_naive("consent", "revoked_at", True)
    _to_naive("consent", "recorded_at", False)
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("superseded_at")
        batch.drop_column("superseded_by")
        batch.drop_column("revoked_by_cpr")
        batch.drop_column("source_identifiers")
        batch.drop_column("source")
        batch.drop_column("custodian_organisation_id")
        batch.drop_column("valid_until_requested")
        batch.alter_column("given_on", new_column_name="valid_from", existing_type=sa.Date())
