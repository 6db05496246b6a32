"""Stored rows of the token replay store (auth/replay.py).

Schema changes go through the Alembic migrations in db/migrations/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Table
from sqlmodel import Field, SQLModel


class TokenUseRow(SQLModel, table=True):
    """A token id seen, the token it belongs to, and until when it matters."""

    __tablename__ = "token_use"
    __table_args__ = (Index("ix_token_use_expires_at", "expires_at"),)

    issuer: str = Field(primary_key=True)
    jti: str = Field(primary_key=True)
    token_sha256: str
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


TOKEN_USES: Table = TokenUseRow.__table__  # type: ignore[attr-defined]
