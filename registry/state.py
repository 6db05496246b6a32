"""The registry as the policy reads it: each stored row as a fact, unjudged.

Decisions read the child's whole registry afresh (so a revocation counts from
the next one), and the registry's own listings hand the same facts to the
policy to learn where each entry stands (registry/standing.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import BindParameter, Dialect, Engine, Table, bindparam, select
from sqlmodel import Session

from db.driver import DriverStatement, Row
from policy.facts import BlockFact, BlockTarget, ConsentFact, ObjectionFact, RegistryState
from registry.tables import BlockRow, ConsentRow, ObjectionRow, utc

CONSENTS: Table = ConsentRow.__table__  # type: ignore[attr-defined]
OBJECTIONS: Table = ObjectionRow.__table__  # type: ignore[attr-defined]
BLOCKS: Table = BlockRow.__table__  # type: ignore[attr-defined]


def isoformat(moment: datetime | None) -> str | None:
    moment = utc(moment)
    return moment.isoformat() if moment else None


def consent_fact(c: ConsentRow | Row) -> ConsentFact:
    return ConsentFact(
        id=c.id,
        regime=c.regime,
        giver=c.giver_cpr,
        capacity="child" if c.giver_capacity == "child" else "custody_holder",
        categories=list(c.categories),
        recipient={
            "organisation_type": c.recipient_organisation_type,
            "organisation_id": c.recipient_organisation_id,
        },
        purposes=list(c.purposes),
        form=c.form,
        given_on=c.given_on,
        valid_until=c.valid_until,
        revoked_at=isoformat(c.revoked_at),
        superseded_by=c.superseded_by,
    )


def objection_fact(o: ObjectionRow | Row) -> ObjectionFact:
    return ObjectionFact(
        id=o.id,
        person=o.person_cpr,
        categories=list(o.categories),
        recipient=None
        if o.recipient_organisation_type is None and o.recipient_organisation_id is None
        else {
            "organisation_type": o.recipient_organisation_type,
            "organisation_id": o.recipient_organisation_id,
        },
        withdrawn_at=isoformat(o.withdrawn_at),
    )


def block_fact(b: BlockRow | Row) -> BlockFact:
    return BlockFact(
        id=b.id,
        target=BlockTarget(
            kind=b.target_kind, id=b.target_id, include_sub_units=b.include_sub_units
        ),
        categories=list(b.categories),
        valid_from=b.valid_from,
        valid_until=b.valid_until,
        lifted_at=isoformat(b.lifted_at),
    )


def registry_state(session: Session, cpr: str) -> RegistryState:
    """Everything recorded for the child, as the policy reads it at decision time.
    Read afresh for every decision, so a revocation counts from the next one."""
    return registry_states(session, [cpr])[cpr]


def registry_states(session: Session, cprs: Sequence[str]) -> dict[str, RegistryState]:
    """`registry_state` of several children, in the session's transaction."""
    connection = session.connection()
    return _states(connection.dialect, connection.connection.cursor(), cprs)


def read_registry_states(db: Engine, cprs: Sequence[str]) -> dict[str, RegistryState]:
    """`registry_state` of several children, as a decision reads them: on a pooled
    connection of its own, outside any session."""
    raw = db.raw_connection()
    try:
        return _states(db.dialect, raw.cursor(), cprs)
    finally:
        raw.close()  # back to the pool, its transaction (if any) rolled back


_CONSENT_COLUMNS = (
    "id",
    "regime",
    "giver_cpr",
    "giver_capacity",
    "categories",
    "recipient_organisation_type",
    "recipient_organisation_id",
    "purposes",
    "form",
    "given_on",
    "valid_until",
    "revoked_at",
    "superseded_by",
)
_OBJECTION_COLUMNS = (
    "id",
    "person_cpr",
    "categories",
    "recipient_organisation_type",
    "recipient_organisation_id",
    "withdrawn_at",
)
_BLOCK_COLUMNS = (
    "id",
    "target_kind",
    "target_id",
    "include_sub_units",
    "categories",
    "valid_from",
    "valid_until",
    "lifted_at",
)


class _Reads:
    """The registry's three SELECTs, compiled once for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        def by_child(table: Table, *names: str) -> DriverStatement:
            columns = [table.c.child_cpr, *(table.c[name] for name in names)]
            cprs: BindParameter[list[str]] = bindparam("cprs", expanding=True)
            return DriverStatement(
                select(*columns).where(table.c.child_cpr.in_(cprs)), dialect, columns=columns
            )

        # (only the columns the facts are made of: each JSON, date or time column
        # read is a conversion per row)
        self.consents = by_child(CONSENTS, *_CONSENT_COLUMNS)
        self.objections = by_child(OBJECTIONS, *_OBJECTION_COLUMNS)
        self.blocks = by_child(BLOCKS, *_BLOCK_COLUMNS)


_READS: WeakKeyDictionary[Dialect, _Reads] = WeakKeyDictionary()


def _states(dialect: Dialect, cursor: Any, cprs: Sequence[str]) -> dict[str, RegistryState]:
    """One query per table for all the children, each on the driver's own cursor
    (db.driver: SQLAlchemy's per-execution work cost about seven times the three
    queries themselves, `python -m bench.db_paths`)."""
    reads = _READS.get(dialect)
    if reads is None:
        reads = _READS[dialect] = _Reads(dialect)
    asked = list(dict.fromkeys(cprs))
    found: dict[str, RegistryState] = {
        cpr: RegistryState(consents=[], objections=[], blocks=[]) for cpr in asked
    }
    try:
        for row in reads.consents.rows(cursor, {"cprs": asked}):
            found[row.child_cpr].consents.append(consent_fact(row))
        for row in reads.objections.rows(cursor, {"cprs": asked}):
            found[row.child_cpr].objections.append(objection_fact(row))
        for row in reads.blocks.rows(cursor, {"cprs": asked}):
            found[row.child_cpr].blocks.append(block_fact(row))
    finally:
        cursor.close()
    return found
