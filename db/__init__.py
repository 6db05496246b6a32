"""The database: engines, sessions and the schema migrations.

The registry, the audit trail, the token replay store and the correspondence
outbox share one database. Each owns its tables (registry/tables.py,
audit/tables.py, auth/tables.py, correspondence/tables.py);
this package owns the connection and the Alembic migrations that build and
change the schema (db/migrations/), and imports none of the owners' modules
outside the migrations."""
