"""The database: engines, sessions and the schema migrations.

The registry, the audit trail and the token replay store share one database.
Each owns its tables (registry/tables.py, audit/tables.py, auth/tables.py);
this package owns the connection and the Alembic migrations that build and
change the schema (db/migrations/), and imports none of the owners' modules
outside the migrations."""
