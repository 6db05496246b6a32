"""Database fixtures: the same SQLite and PostgreSQL databases the registry tests use."""

from __future__ import annotations

from tests.registry.conftest import fresh_db_url, postgres_run_database

__all__ = ["fresh_db_url", "postgres_run_database"]
