"""Stored rows of the audit trail.

`audit_record` is append-only: rows are inserted by the writer and deleted only
by a retention purge, which leaves a signed checkpoint behind. Each row's
`body` is the record's canonical JSON; the indexed columns repeat fields of the
body for queries, and `hoi audit verify` checks that they agree with it.

The primary key includes `recorded_at`, so that PostgreSQL can partition the
table by month on that column; it does (migration 0007, audit/partitions.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


class AuditRecordRow(SQLModel, table=True):
    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_recorded_at", "recorded_at"),
        Index("ix_audit_record_child_time", "child_cpr", "recorded_at"),
        Index("ix_audit_record_requester_time", "requester_id", "recorded_at"),
        Index("ix_audit_record_organisation_time", "organisation_id", "recorded_at"),
        Index("ix_audit_record_decision", "decision_id"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    """Position in the hash chain, 1, 2, 3, ... without gaps."""
    recorded_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), primary_key=True, nullable=False)
    )
    kind: str
    decision_id: str
    child_cpr: str
    requester_id: str
    organisation_id: str
    outcome: str
    override: bool
    body: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str
    hash: str


class AuditChainHeadRow(SQLModel, table=True):
    """The last link of the chain, signed; one row (id 1). Writers lock it to
    append, so replicas sharing a database extend one chain."""

    __tablename__ = "audit_chain_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str
    signature: str
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AuditCheckpointRow(SQLModel, table=True):
    """Left by a retention purge: the last purged link, signed, so the chain
    that remains can still be verified from there."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    through_seq: int
    through_hash: str
    purged_total: int
    cutoff: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    key_id: str
    signature: str
