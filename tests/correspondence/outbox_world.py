"""Messages between organisations of the pilot's register, about children of the
synthetic population, for the outbox, relay and network tests; an outbox database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from correspondence.medcom import Child, Organisation, build_message, message_json
from correspondence.outbox import OUTBOX, outbox_values
from db.engine import make_engine
from db.schema import create_schema
from sandbox.pilot import organisations
from sandbox.population import Population, population
from tests.correspondence.helpers import clock, draft, uuids

REFERENCE = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SENDER_ID = "bup-rn-aalborg-amb"
MUNICIPAL_ID = "851-family"


def world() -> Population:
    return population(REFERENCE)


def party(organisation_id: str) -> Organisation:
    """An organisation of the register as a MedCom party (SOR id and GLN)."""
    org = organisations()[organisation_id]
    assert org.sor_id is not None and org.gln is not None
    return Organisation(sor_id=org.sor_id, gln=org.gln, name=org.name)


def child_with_open_case(unit: str = MUNICIPAL_ID) -> tuple[Child, str]:
    """A child with an open case at the unit, and the case's id."""
    for cpr, child in world().children.items():
        for case in child.cases:
            if case.open and case.unit == unit:
                return Child(cpr=cpr, given="Testbarn", family="Syntetisk"), case.id
    raise AssertionError(f"no child has an open case at {unit}")


def child_without_case() -> Child:
    cpr = next(c for c, child in world().children.items() if not child.cases)
    return Child(cpr=cpr, given="Andetbarn", family="Syntetisk")


def message(
    n: int = 1,
    *,
    child: Child | None = None,
    sender: str = SENDER_ID,
    receiver: str = MUNICIPAL_ID,
) -> tuple[str, str]:
    """Message number n (its ids differ from every other n): (header id, JSON)."""
    bundle = build_message(
        draft(
            sender=party(sender),
            receiver=party(receiver),
            child=child or child_with_open_case()[0],
        ),
        new_id=uuids(n * 1000),
        now=clock(NOW),
    )
    data = message_json(bundle)
    return data["entry"][0]["resource"]["id"], json.dumps(data)


def outbox_db(tmp_path: Path) -> Engine:
    db = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    create_schema(db)
    return db


def queue(
    db: Engine,
    n: int = 1,
    *,
    child: Child | None = None,
    receiver: str = MUNICIPAL_ID,
    inbox: str | None = None,
    now: datetime = NOW,
) -> str:
    """Put message n in the outbox, as the sender path does; its id. `inbox` sends it
    to another organisation's inbox than the one it is addressed to."""
    header_id, body = message(n, child=child, receiver=receiver)
    target = organisations()[inbox or receiver]
    assert target.gln is not None
    values = outbox_values(
        message_id=header_id,
        decision_id=f"decision-{n}",
        sender_organisation_id=SENDER_ID,
        recipient_organisation_id=target.id,
        recipient_gln=target.gln,
        topic=None,
        bundle_json=body,
        now=now - timedelta(seconds=1),
    )
    with db.begin() as conn:
        conn.execute(insert(OUTBOX).values(**values))
    return header_id
