"""The consent, objection and block registry (sqlmodel; SQLite or PostgreSQL)."""
