"""Engines and sessions.

SQLite (a file under var/) by default; PostgreSQL by URL through psycopg 3
(`postgresql://` URLs are given the psycopg driver)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_S = 5.0


def database_url(url: str) -> URL:
    """The URL with PostgreSQL's driver fixed to psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    """WAL lets readers (decisions) run while the audit writer commits;
    synchronous=FULL makes every commit durable before it returns."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created when missing."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # timeout: SQLite's busy timeout, how long a writer waits for another
        # process's write lock (the audit chain's head, `--workers N`) before
        # failing; the failure refuses the answer. pool_size: more connections
        # than threads that may hold one at once (the event loop's executor, the
        # audit writer), so connections are kept rather than opened and closed
        # again under load (each opening runs the pragmas below).
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
            pool_size=16,
        )
        if parsed.database and parsed.database != ":memory:":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def sessions(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
