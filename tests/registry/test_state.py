"""The registry as decisions read it, several children at once (facts.registry_reads):
each child gets exactly its own entries, each entry as stored, on SQLite and on
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from db.engine import make_engine
from db.schema import create_schema
from policy.facts import RegistryState
from registry.state import (
    block_fact,
    consent_fact,
    objection_fact,
    read_registry_states,
    registry_state,
    registry_states,
)
from registry.tables import BlockRow, ConsentRow, ObjectionRow


def _consent(consent_id: str, child: str) -> ConsentRow:
    return ConsentRow(
        id=consent_id,
        child_cpr=child,
        regime="sul-43-1",
        giver_cpr="0101804321",
        giver_capacity="custody_holder",
        categories=["psychiatry_appointments"],
        recipient_organisation_type="municipality",
        recipient_organisation_id="851-family",
        purposes=["social_case_work"],
        form="written",
        given_on=date(2026, 11, 1),
        valid_until=date(2027, 10, 31),
        recorded_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
    )


def _block(block_id: str, child: str) -> BlockRow:
    return BlockRow(
        id=block_id,
        child_cpr=child,
        target_kind="organisation",
        target_id="851-ppr",
        include_sub_units=False,
        categories=[],
        valid_from=date(2026, 11, 1),
        recorded_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
    )


def test_each_child_gets_its_own_entries_and_no_one_elses(db_url: str) -> None:
    db = make_engine(db_url)
    create_schema(db)
    with Session(db) as session:
        session.add_all(
            [
                _consent("c-a1", "a"),
                _consent("c-a2", "a"),
                _consent("c-b1", "b"),
                _block("k-b", "b"),
            ]
        )
        session.commit()
    with Session(db) as session:
        states = registry_states(session, ["a", "b", "nobody", "a"])
        alone = registry_state(session, "b")
    db.dispose()
    assert sorted(states) == ["a", "b", "nobody"]
    assert sorted(c.id for c in states["a"].consents) == ["c-a1", "c-a2"]
    assert states["a"].blocks == []
    assert [c.id for c in states["b"].consents] == ["c-b1"]
    assert [b.id for b in states["b"].blocks] == ["k-b"]
    assert states["nobody"].consents == []
    assert states["nobody"].blocks == []
    assert alone == states["b"]


def test_a_decision_reads_each_entry_as_its_stored_row_says(db_url: str) -> None:
    """The decision's read runs on the driver's cursor (db.driver), converting each
    column itself: a time, a date, a JSON list, a boolean, a null must come out as
    the ORM reads the same row."""
    db = make_engine(db_url)
    create_schema(db)
    revoked = _consent("c-revoked", "a")
    revoked.revoked_at = datetime(2026, 11, 20, 14, 30, 5, 123456, tzinfo=UTC)
    revoked.superseded_by = "c-a1"
    revoked.recipient_organisation_id = None
    period = _block("k-period", "a")
    period.target_kind, period.target_id, period.categories = "period", None, ["gp_clinic"]
    period.valid_until, period.lifted_at = date(2026, 12, 24), datetime(2026, 11, 30, tzinfo=UTC)
    units = _block("k-units", "a")
    units.include_sub_units = True
    objection = ObjectionRow(
        id="o-a",
        child_cpr="a",
        person_cpr="0101804321",
        categories=["psychiatry_contacts", "gp_clinic"],
        recorded_at=datetime(2026, 11, 2, tzinfo=UTC),
        withdrawn_at=datetime(2026, 11, 3, 8, tzinfo=UTC),
    )
    with Session(db) as session:
        session.add_all([_consent("c-a1", "a"), revoked, period, units, objection])
        session.commit()
    with Session(db) as session:
        orm = RegistryState(
            consents=[consent_fact(r) for r in session.exec(select(ConsentRow))],
            objections=[objection_fact(r) for r in session.exec(select(ObjectionRow))],
            blocks=[block_fact(r) for r in session.exec(select(BlockRow))],
        )
    read = read_registry_states(db, ["a"])["a"]
    db.dispose()
    assert sorted(read.consents, key=lambda c: c.id) == sorted(orm.consents, key=lambda c: c.id)
    assert read.objections == orm.objections
    assert sorted(read.blocks, key=lambda b: b.id) == sorted(orm.blocks, key=lambda b: b.id)
    assert {c.id: c.revoked_at for c in read.consents}["c-revoked"] == (
        "2026-11-20T14:30:05.123456+00:00"
    )
    assert [b.target.include_sub_units for b in sorted(read.blocks, key=lambda b: b.id)] == [
        False,
        True,
    ]
