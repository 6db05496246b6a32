"""The registry as decisions read it, several children at once (facts.registry_reads):
each child gets exactly its own entries, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from db.engine import make_engine
from db.schema import create_schema
from registry.state import registry_state, registry_states
from registry.tables import BlockRow, ConsentRow


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
