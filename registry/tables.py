"""Stored rows. Consents, objections and blocks are never deleted: revocation,
withdrawal and lifting are recorded as times on the row."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


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
    valid_from: date
    valid_until: date
    recorded_at: datetime
    revoked_at: datetime | None = None


class ObjectionRow(SQLModel, table=True):
    __tablename__ = "objection"

    id: str = Field(primary_key=True)
    child_cpr: str = Field(index=True)
    person_cpr: str
    categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recipient_organisation_type: str | None = None
    recipient_organisation_id: str | None = None
    recorded_at: datetime
    withdrawn_at: datetime | None = None


class BlockRow(SQLModel, table=True):
    __tablename__ = "block"

    id: str = Field(primary_key=True)
    child_cpr: str = Field(index=True)
    target_kind: str
    target_id: str
    include_sub_units: bool = False
    categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    valid_from: date
    valid_until: date | None = None
    recorded_at: datetime
    lifted_at: datetime | None = None
