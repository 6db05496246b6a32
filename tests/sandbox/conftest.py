"""Database fixtures: the seed is tried on the same SQLite and PostgreSQL databases
the registry tests use."""

from __future__ import annotations

from tests.registry.conftest import db_url, postgres_run_database

__all__ = ["db_url", "postgres_run_database"]
