"""Alembic environment: runs on the connection db.schema hands it.

Run migrations with `hoi db upgrade` (or start the service, which upgrades to
head); a connection is always passed in `config.attributes["connection"]`.

The only place in db/ that imports the tables' owners: the target metadata is
every table the migrations build (autogenerate compares against it)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from audit import tables as audit_tables  # noqa: F401 - the audit trail's tables
from audit.partitions import is_partition_name
from auth import tables as auth_tables  # noqa: F401 - the token replay store's table
from correspondence import tables as correspondence_tables  # noqa: F401 - the outbox
from registry import tables as registry_tables  # noqa: F401 - consents, objections, blocks

config = context.config


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Autogenerate compares the models with the parent audit_record, not with
    its monthly partitions (PostgreSQL)."""
    return not (type_ == "table" and name is not None and is_partition_name(name))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through db.schema.upgrade(engine)")
_run(connection)
