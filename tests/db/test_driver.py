"""db.driver: a statement run on the driver's own cursor stores and reads every
kind of column as SQLAlchemy does, lays out an IN list of any length, and fails
with SQLAlchemy's errors, without the parameters, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from db.driver import DriverStatement
from db.engine import make_engine

METADATA = MetaData()
KINDS = Table(
    "driver_kinds",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=True),
    Column("day", Date, nullable=True),
    Column("flag", Boolean, nullable=False),
)

ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": "0101804321",
        "tags": ["a", {"b": 1}],
        "at": datetime(2026, 11, 20, 14, 30, 5, 123456, tzinfo=UTC),
        "day": date(2026, 12, 24),
        "flag": True,
    },
    {"id": 2, "name": "two", "tags": [], "at": None, "day": None, "flag": False},
    {"id": 3, "name": "three", "tags": ["x"], "at": None, "day": date(2027, 1, 1), "flag": True},
]


def _same_moment(values: dict[str, Any]) -> dict[str, Any]:
    """SQLite hands a timestamp back without its offset (it was written in UTC)."""
    at = values["at"]
    return {**values, "at": at.replace(tzinfo=UTC) if at and at.tzinfo is None else at}


def test_rows_are_stored_and_read_as_sqlalchemy_stores_and_reads_them(fresh_db_url: str) -> None:
    db = make_engine(fresh_db_url)
    METADATA.create_all(db)
    columns = list(KINDS.columns)
    write = DriverStatement(insert(KINDS), db.dialect, binds={c.key: c for c in columns})
    by_id = DriverStatement(
        select(KINDS).where(KINDS.c.id.in_(bindparam("ids", expanding=True))).order_by(KINDS.c.id),
        db.dialect,
        columns=columns,
    )
    try:
        with db.begin() as conn:
            write.execute_many(conn.connection.cursor(), ROWS[:2])
        with db.begin() as conn:  # what SQLAlchemy writes, the driver reads
            conn.execute(insert(KINDS), [ROWS[2]])
        with db.connect() as conn:
            theirs = [_same_moment(dict(r._mapping)) for r in conn.execute(select(KINDS))]
            cursor = conn.connection.cursor()
            ours = [
                _same_moment({c.key: getattr(row, c.key) for c in columns})
                for row in by_id.rows(cursor, {"ids": [3, 1, 2]})
            ]
            assert [r.id for r in by_id.rows(cursor, {"ids": [2]})] == [2]
            assert by_id.rows(cursor, {"ids": [99, 98, 97, 96]}) == []
    finally:
        METADATA.drop_all(db)
        db.dispose()
    assert theirs == ROWS
    assert ours == ROWS


def test_a_driver_error_is_sqlalchemys_and_does_not_carry_the_parameters(
    fresh_db_url: str,
) -> None:
    db = make_engine(fresh_db_url)
    METADATA.create_all(db)
    columns = list(KINDS.columns)
    write = DriverStatement(insert(KINDS), db.dialect, binds={c.key: c for c in columns})
    try:
        with db.begin() as conn:
            write.execute(conn.connection.cursor(), ROWS[0])
        with pytest.raises(IntegrityError) as raised, db.begin() as conn:
            write.execute(conn.connection.cursor(), ROWS[0])
    finally:
        METADATA.drop_all(db)
        db.dispose()
    assert "0101804321" not in str(raised.value)
