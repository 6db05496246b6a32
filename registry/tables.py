"""Stored rows. Consents, objections and blocks are never deleted or rewritten
in substance: revocation, withdrawal, lifting and supersession are recorded as
times on the row and as rows of the append-only event table.

Schema changes go through the Alembic migrations in db/migrations/;
`tests/db/test_migrations.py` checks that these models and the migrations
at head agree on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without offset; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def required_utc(moment: datetime) -> datetime:
    result = utc(moment)
    assert result is not None
    return result


def _moment(nullable: bool) -> Any:
    """A timestamp column that keeps its UTC offset on PostgreSQL (SQLite stores text)."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class ConsentRow(SQLModel, table=True):
    __tablename__ = "consent"

    id: str = Field(primary_key=True)
    child_cpr: str = Field(index=True)
    regime: str
    giver_cpr: str
    giver_capacity: str
    categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recipient_organisation_type: str | None = None
    recipient_organisation_id: str | None = None
    purposes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    form: str
    given_on: date
    valid_until: date
    """The effective last day: the asked end capped by the regime's maximum validity."""
    valid_until_requested: date | None = None
    """The end the giver named, when one was named (it may lie past the cap)."""
    custodian_organisation_id: str | None = None
    """The organisation that took the consent and keeps the record of it."""
    source: str = "api"
    """How it reached us: api, fhir or seed."""
    source_identifiers: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    recorded_at: datetime = _moment(nullable=False)
    recorded_by: dict[str, Any] = Field(
        default_factory=lambda: {"kind": "citizen"}, sa_column=Column(JSON, nullable=False)
    )
    """Who wrote it (registry.models.RecordedBy): the person with their own login,
    or a professional on the family's behalf with the document's reference."""
    revoked_at: datetime | None = _moment(nullable=True)
    revoked_by_cpr: str | None = None
    revocation_recorded_by: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    superseded_by: str | None = None
    superseded_at: datetime | None = _moment(nullable=True)


class ObjectionRow(SQLModel, table=True):
    __tablename__ = "objection"

    id: str = Field(primary_key=True)
    child_cpr: str = Field(index=True)
    person_cpr: str
    person_capacity: str = "custody_holder"
    categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recipient_organisation_type: str | None = None
    recipient_organisation_id: str | None = None
    recorded_at: datetime = _moment(nullable=False)
    recorded_by: dict[str, Any] = Field(
        default_factory=lambda: {"kind": "citizen"}, sa_column=Column(JSON, nullable=False)
    )
    """Who wrote it (registry.models.RecordedBy): the person with their own login,
    or a professional on the family's behalf with the document's reference."""
    withdrawn_at: datetime | None = _moment(nullable=True)
    withdrawn_by_cpr: str | None = None


class BlockRow(SQLModel, table=True):
    __tablename__ = "block"

    id: str = Field(primary_key=True)
    child_cpr: str = Field(index=True)
    given_by_cpr: str | None = None
    given_by_capacity: str | None = None
    target_kind: str
    target_id: str | None = None
    include_sub_units: bool = False
    categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    valid_from: date
    valid_until: date | None = None
    recorded_at: datetime = _moment(nullable=False)
    recorded_by: dict[str, Any] = Field(
        default_factory=lambda: {"kind": "citizen"}, sa_column=Column(JSON, nullable=False)
    )
    """Who wrote it (registry.models.RecordedBy): the person with their own login,
    or a professional on the family's behalf with the document's reference."""
    lifted_at: datetime | None = _moment(nullable=True)
    lifted_by_cpr: str | None = None


class EventRow(SQLModel, table=True):
    """Append-only history: one row per thing that happened to a registry entry."""

    __tablename__ = "registry_event"

    id: int | None = Field(default=None, primary_key=True)
    child_cpr: str = Field(index=True)
    entry_kind: str
    """consent, objection or block."""
    entry_id: str = Field(index=True)
    event: str
    """recorded, revoked, superseded, withdrawn or lifted."""
    at: datetime = _moment(nullable=False)
    by_cpr: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
