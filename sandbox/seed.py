"""Load the synthetic population's consents, objections and blocks into the
registry. Idempotent: seeded rows have fixed ids and are inserted once; replicas
seeding one PostgreSQL database together take turns (the schema's advisory lock), so
the second finds the rows the first inserted.

Seeded rows get the regime's expiry cap like recorded ones. They are written
directly (fixed ids, no entitlement check): some stories are about consents that
no longer count, such as the parents' consent for a child who has since turned 15."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import Engine
from sqlmodel import Session

from db.schema import one_at_a_time
from policy.cpr import age_on
from policy.facts import ChildRecord
from registry.entitlement import expiry_cap
from registry.tables import BlockRow, ConsentRow, EventRow, ObjectionRow
from sandbox.population import Population


def _as(child: ChildRecord, person: str) -> str:
    return "child" if person == child.cpr else "custody_holder"


def _decider(population: Population, cpr: str) -> str:
    """Who asked for a seeded block: the young person from 15, else the first custody holder."""
    record = population.children[cpr].record
    if age_on(record.birth_date, population.reference_date) >= 15:
        return record.cpr
    return record.custody_holders[0]


def seed_registry(engine: Engine, population: Population) -> int:
    """Insert what is missing; return how many rows were added."""
    recorded = datetime.combine(population.reference_date, time(8, 0), tzinfo=UTC)
    added = 0
    with Session(engine) as session:
        one_at_a_time(session.connection())
        for n, c in enumerate(population.consents):
            row_id = f"consent-seed-{n:04d}"
            if session.get(ConsentRow, row_id):
                continue
            child = population.children[c["child_cpr"]].record
            session.add(
                ConsentRow(
                    id=row_id,
                    child_cpr=c["child_cpr"],
                    regime=c["regime"],
                    giver_cpr=c["given_by"],
                    giver_capacity=_as(child, c["given_by"]),
                    categories=c["categories"],
                    recipient_organisation_type=c["recipient"].get("organisation_type"),
                    recipient_organisation_id=c["recipient"].get("organisation_id"),
                    purposes=[],
                    form=c["form"],
                    given_on=c["valid_from"],
                    valid_until=min(c["valid_until"], expiry_cap(c["regime"], c["valid_from"])),
                    valid_until_requested=c["valid_until"],
                    source="seed",
                    recorded_at=recorded,
                )
            )
            _recorded(session, c["child_cpr"], "consent", row_id, recorded, c["given_by"])
            added += 1
        for n, o in enumerate(population.objections):
            row_id = f"objection-seed-{n:04d}"
            if session.get(ObjectionRow, row_id):
                continue
            session.add(
                ObjectionRow(
                    id=row_id,
                    child_cpr=o["child_cpr"],
                    person_cpr=o["given_by"],
                    person_capacity=_as(population.children[o["child_cpr"]].record, o["given_by"]),
                    categories=o["categories"],
                    recorded_at=recorded,
                )
            )
            _recorded(session, o["child_cpr"], "objection", row_id, recorded, o["given_by"])
            added += 1
        for n, b in enumerate(population.blocks):
            row_id = f"block-seed-{n:04d}"
            if session.get(BlockRow, row_id):
                continue
            session.add(
                BlockRow(
                    id=row_id,
                    child_cpr=b["child_cpr"],
                    given_by_cpr=_decider(population, b["child_cpr"]),
                    given_by_capacity=_as(
                        population.children[b["child_cpr"]].record,
                        _decider(population, b["child_cpr"]),
                    ),
                    target_kind=b["target_kind"],
                    target_id=b["target_id"],
                    categories=b["categories"],
                    valid_from=b["valid_from"],
                    recorded_at=recorded,
                )
            )
            decider = _decider(population, b["child_cpr"])
            _recorded(session, b["child_cpr"], "block", row_id, recorded, decider)
            added += 1
        session.commit()
    return added


def _recorded(session: Session, cpr: str, kind: str, entry_id: str, at: datetime, by: str) -> None:
    session.add(
        EventRow(
            child_cpr=cpr,
            entry_kind=kind,
            entry_id=entry_id,
            event="recorded",
            at=at,
            by_cpr=by,
            detail={"source": "seed"},
        )
    )
