"""Database engines and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from audit import tables as audit_tables  # noqa: F401 - the audit trail shares the database
from registry import tables  # noqa: F401 - registers the tables on SQLModel.metadata


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    """WAL lets readers (decisions) run while the audit writer commits;
    synchronous=FULL makes every commit durable before it returns."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created when missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        if parsed.database and parsed.database != ":memory:":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


def sessions(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
