"""Alembic environment: runs on the connection registry.db hands it.

Run migrations with `hoi db upgrade` (or start the service, which upgrades to
head); a connection is always passed in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from audit import tables as audit_tables  # noqa: F401 - the audit trail's tables
from auth import replay  # noqa: F401 - the token replay store's table
from registry import tables  # noqa: F401 - registers the tables on SQLModel.metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("registry migrations run through registry.db.upgrade(engine)")
_run(connection)
