"""Stored rows of the correspondence outbox (correspondence/outbox.py).

A message to another organisation is written here in the same database
transaction as the audit record of the decision that let it be sent; the relay
(correspondence/relay.py) delivers it from here. Schema changes go through the
Alembic migrations in db/migrations/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Table, Text
from sqlmodel import Field, SQLModel


class OutboxRow(SQLModel, table=True):
    """One message on its way: pending until the network acknowledges it.

    `bundle` (the message's FHIR JSON) is cleared once the message is delivered:
    the service keeps no message content after delivery. `last_error` names what
    went wrong (an HTTP status, an acknowledgement code, an exception type), never
    content."""

    __tablename__ = "correspondence_outbox"
    __table_args__ = (
        Index("ix_correspondence_outbox_decision_id", "decision_id"),
        Index("ix_correspondence_outbox_due", "status", "next_attempt_at"),
    )

    message_id: str = Field(primary_key=True)
    """The message's MessageHeader id: the idempotency key on the network."""
    decision_id: str
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sender_organisation_id: str
    recipient_organisation_id: str
    recipient_gln: str
    topic: str | None = None
    bundle: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    bundle_sha256: str
    status: str
    """pending | delivered | failed"""
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_error: str | None = None
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    acknowledgement: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The acknowledgement as JSON (correspondence.acknowledgement.Acknowledgement)."""


OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
