"""The schema: built and changed only by the Alembic migrations in db/migrations/.

The revision ids and their chain (0001 ... head) are those the migrations had
when they lived under registry/migrations/, so a database made then upgrades
here with nothing to do."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
FOUNDATION_REVISION = "0001"
SCHEMA_LOCK = 0x686F6921
"""PostgreSQL advisory lock key ("hoi!") held while migrating: replicas starting
together against one database migrate one after the other, so it happens once."""


def one_at_a_time(connection: Connection) -> None:
    """On PostgreSQL, wait for the schema lock; it is released with the transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})


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
        one_at_a_time(connection)
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
