"""Registry fixtures: every registry test runs on SQLite and on PostgreSQL.

PostgreSQL is reached through HOI_TEST_POSTGRES_URL (a role that may create
databases; `.ci/run` sets it up). Each test run creates its own database and
drops it at the end, so runs never see each other's rows; within a run, tables
are emptied after each test. Without the variable or a server the PostgreSQL
variants skip, except under CI=true, where they fail."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from psycopg.errors import InsufficientPrivilege
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, ProgrammingError

from db.engine import database_url
from policy.facts import ChildRecord
from sandbox.population import Case, Child, Population
from tests.conftest import IN_CI, citizen_headers

POSTGRES_ENV = "HOI_TEST_POSTGRES_URL"
TODAY = date(2026, 11, 26)
REGISTRY_TABLES = ("consent", "objection", "block", "registry_event")


def _unavailable(why: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but PostgreSQL is not usable: {why}")
    pytest.skip(f"PostgreSQL not available ({why}); CI runs these")


def _admin_url() -> URL:
    raw = os.environ.get(POSTGRES_ENV)
    if not raw:
        _unavailable(f"{POSTGRES_ENV} is not set")
    return database_url(raw or "")


def create_database(admin: URL, prefix: str) -> URL:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        _unavailable(f"cannot create a database: {type(exc).__name__}")
    finally:
        engine.dispose()
    return admin.set(database=name)


DROP_ATTEMPTS = 20


def drop_database(admin: URL, url: URL) -> None:
    """Drop a test database. FORCE ends our own sessions, but not an autovacuum
    worker that has just started on the database (a role without pg_signal_backend
    may not end it: InsufficientPrivilege); it finishes in moments, so try again."""
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(DROP_ATTEMPTS):
            try:
                with engine.connect() as connection:
                    connection.execute(
                        text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
                    )
                return
            except ProgrammingError as exc:
                if not isinstance(exc.orig, InsufficientPrivilege) or attempt + 1 == DROP_ATTEMPTS:
                    raise
                time.sleep(0.5)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_run_database() -> Iterator[URL]:
    """A database of its own for this test run, dropped at the end."""
    admin = _admin_url()
    url = create_database(admin, "hoi_test_run")
    yield url
    drop_database(admin, url)


def _empty(url: URL) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        present = {
            row[0]
            for row in connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        }
        tables = [t for t in REGISTRY_TABLES if t in present]
        if tables:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
    engine.dispose()


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A registry database URL, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    url: URL = request.getfixturevalue("postgres_run_database")
    yield url.render_as_string(hide_password=False)
    _empty(url)


@pytest.fixture(params=DATABASES)
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database made for one test (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin = _admin_url()
    url = create_database(admin, "hoi_test_fresh")
    yield url.render_as_string(hide_password=False)
    drop_database(admin, url)


def _born(age_days: int) -> date:
    return TODAY - timedelta(days=age_days)


def person(n: int) -> str:
    """A synthetic replacement-style CPR number for an adult."""
    return f"{61 + n % 28:02d}0{1 + n % 9}8{n % 10}{1000 + n:04d}"[:10]


MOTHER, FATHER, STRANGER = person(1), person(2), person(3)


def _child_cpr(born: date, serial: int) -> str:
    return f"{born.day + 60:02d}{born.month:02d}{born.year % 100:02d}4{serial:03d}"


def _child(born: date, serial: int, holders: tuple[str, ...]) -> Child:
    """A child of Aalborg with an open case in the family department (which
    municipal access to psychiatry data needs)."""
    record = ChildRecord(
        cpr=_child_cpr(born, serial),
        name="Test Child",
        birth_date=born,
        custody_holders=holders,
        municipality="851",
    )
    case = Case(
        id=f"case-{serial}", unit="851-family", kle="27.24", caseworker_id="cw-1", open=True
    )
    return Child(record=record, municipality="851", divorced=False, school={}, cases=[case])


# A 12-year-old; a 16-year-old; one who turned 15 ten days ago.
YOUNG = _child(date(2014, 5, 10), 101, (MOTHER, FATHER))
SIXTEEN = _child(date(2010, 3, 3), 102, (MOTHER, FATHER))
JUST_FIFTEEN = _child(date(2011, 11, 16), 103, (MOTHER, FATHER))


def registry_population() -> Population:
    children = {c.record.cpr: c for c in (YOUNG, SIXTEEN, JUST_FIFTEEN)}
    return Population(TODAY, children, {}, {}, [], [], [])


WRITER_FIELDS = ("given_by", "revoked_by", "withdrawn_by", "lifted_by")


class Family:
    """The registry as the family uses it. The tests name who acts the way the
    API once took it from the body (`given_by`, `revoked_by`, ...); here that person
    becomes the citizen token's, and the field leaves the body. Reads are the
    mother's (a custody holder of every test child)."""

    def __init__(self, client: TestClient, reader: str = MOTHER) -> None:
        self.client = client
        self.reader = reader

    def post(self, url: str, json: dict[str, Any] | None = None) -> httpx.Response:
        body = dict(json or {})
        person = next((body.pop(k) for k in WRITER_FIELDS if k in body), self.reader)
        payload = body if json is not None else None
        return self.client.post(url, json=payload, headers=citizen_headers(person))

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.client.get(url, headers=citizen_headers(self.reader), **options)
