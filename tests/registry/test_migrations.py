"""The schema comes from the Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel

from registry.db import (
    FOUNDATION_REVISION,
    create_schema,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from registry.tables import ConsentRow


def test_migrations_build_exactly_the_tables_the_models_describe(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    create_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
