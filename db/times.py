"""Times as the database hands them back."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC. SQLite keeps no zone and hands back naive
    datetimes; everything we store is UTC, so a naive one is UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
