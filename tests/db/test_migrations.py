"""The schema comes from the Alembic migrations in db/migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel

from audit import tables as audit_tables
from audit.partitions import is_partition_name
from auth import tables as auth_tables
from db.engine import make_engine
from db.schema import (
    FOUNDATION_REVISION,
    alembic_config,
    create_schema,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from registry import tables as registry_tables
from registry.tables import ConsentRow

OWNERS = (registry_tables, audit_tables, auth_tables)
"""Every module whose tables the migrations build (imported: on SQLModel.metadata)."""

OLD_CHAIN = [("0001", None), ("0002", "0001"), ("0003", "0002"), ("0004", "0003"), ("0005", "0004")]
"""The revisions and their parents when the migrations lived in registry/migrations/."""
OLD_HEAD = OLD_CHAIN[-1][0]


def _not_a_partition(name: str | None, type_: str, _parents: object) -> bool:
    """The models describe the parent audit_record, not its monthly partitions."""
    return not (type_ == "table" and name is not None and is_partition_name(name))


def test_migrations_build_exactly_the_tables_the_models_describe(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    create_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_a_partition}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    engine.dispose()


def test_migrations_go_down_and_up_again(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_registry_made_before_migrations_is_adopted_and_keeps_its_rows(
    fresh_db_url: str,
) -> None:
    """The foundation built its tables with create_all and no version table."""
    engine = make_engine(fresh_db_url)
    upgrade(engine, FOUNDATION_REVISION)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO consent (id, child_cpr, regime, giver_cpr, giver_capacity, "
                "categories, purposes, form, valid_from, valid_until, recorded_at) VALUES "
                "('consent-old', '7005144101', 'sul-43-1', '6202811001', 'custody_holder', "
                "'[\"psychiatry_appointments\"]', '[]', 'written', '2026-03-01', "
                "'2027-02-28', '2026-03-01 08:00:00')"
            )
        )
        connection.execute(text("DROP TABLE alembic_version"))
    create_schema(engine)
    assert current_revision(engine) == head_revision()
    with Session(engine) as session:
        row = session.get(ConsentRow, "consent-old")
        assert row is not None
        assert row.given_on == date(2026, 3, 1)
        assert row.source == "api"
        assert row.source_identifiers == []
        recorded = (
            row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
        )
        assert recorded == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    engine.dispose()


def test_the_chain_keeps_the_revisions_it_had_under_registry() -> None:
    """Moving the migrations changed no revision id and no parent."""
    script = ScriptDirectory.from_config(alembic_config())
    chain = [(r.revision, r.down_revision) for r in reversed(list(script.walk_revisions()))]
    assert chain[: len(OLD_CHAIN)] == OLD_CHAIN


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables, their columns (name, type, nullability) and indexes."""
    found = inspect(engine)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)],
            sorted((i["name"] or "", tuple(i["column_names"])) for i in found.get_indexes(table)),
        )
        for table in sorted(found.get_table_names())
    }


def test_a_database_at_the_old_head_upgrades_with_no_change(fresh_db_url: str) -> None:
    """A database built by the migrations while they lived under registry/migrations
    (at their head then) is at a revision this chain knows: upgrading it runs
    nothing it already has, keeps its rows and leaves its schema as it was."""
    engine = make_engine(fresh_db_url)
    upgrade(engine, OLD_HEAD)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO consent (id, child_cpr, regime, giver_cpr, giver_capacity, "
                "categories, purposes, form, given_on, valid_until, recorded_at, source, "
                "source_identifiers, recorded_by) VALUES "
                "('consent-kept', '7005144101', 'sul-43-1', '6202811001', 'custody_holder', "
                "'[\"psychiatry_appointments\"]', '[]', 'written', '2026-03-01', "
                "'2027-02-28', '2026-03-01 08:00:00', 'api', '[]', '{\"kind\": \"citizen\"}')"
            )
        )
    before = _schema(engine)
    create_schema(engine)
    assert current_revision(engine) == head_revision()
    if head_revision() == OLD_HEAD:
        assert _schema(engine) == before
    with Session(engine) as session:
        row = session.get(ConsentRow, "consent-kept")
        assert row is not None
        assert row.given_on == date(2026, 3, 1)
        assert row.recorded_by == {"kind": "citizen"}
    engine.dispose()


@pytest.mark.parametrize(
    "fresh_db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_replicas_starting_together_migrate_once(fresh_db_url: str) -> None:
    """Several replicas start against one new database at the same moment: on
    PostgreSQL they take turns (an advisory lock), so every one of them reaches
    the head and none fails on a table another just made (without the lock they
    blocked each other for good). SQLite is one file on one host: `hoi serve
    --workers N` migrates it once in the parent."""
    engines = [make_engine(fresh_db_url) for _ in range(3)]
    failures: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def migrate(engine: Engine) -> None:
        start.wait()
        try:
            create_schema(engine)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=migrate, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert not any(t.is_alive() for t in threads), "the migrations blocked each other"
        assert failures == []
        assert {current_revision(e) for e in engines} == {head_revision()}
    finally:
        for engine in engines:
            engine.dispose()
