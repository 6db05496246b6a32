"""Database engines, sessions and schema migrations.

SQLite (a file under var/) by default; PostgreSQL by URL through psycopg 3
(`postgresql://` URLs are given the psycopg driver). The schema is built and
changed only by the Alembic migrations in registry/migrations/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session, create_engine

from audit import tables as audit_tables  # noqa: F401 - the audit trail shares the database
from auth import replay  # noqa: F401 - so does the token replay store
from registry import tables  # noqa: F401 - registers the tables on SQLModel.metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
FOUNDATION_REVISION = "0001"


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
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        if parsed.database and parsed.database != ":memory:":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: the newest).

    A registry made before migrations existed (the foundation's `create_all`)
    has the foundation's tables and no version; it is marked as the foundation
    revision first, then migrated like any other."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        names = set(inspect(connection).get_table_names())
        if "alembic_version" not in names and "consent" in names:
            command.stamp(config, FOUNDATION_REVISION)
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def create_schema(engine: Engine) -> None:
    """Bring the schema to head (idempotent)."""
    upgrade(engine)


def sessions(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
