"""The two database statements every decision waits for, timed on their own.

    .venv/bin/python -m bench.db_paths [--repeat 2000]

- **registry read**: a decision reads the child's consents, objections and blocks
  (registry.state.read_registry_states, on the driver's cursor: db.driver), for one
  child and for eight at once (reads made in the same turn of the event loop are
  made together). Beside it, in the same run, the same three queries through
  SQLAlchemy's Core execution on a session, as the service made them before s30
  (every column, SQLAlchemy's per-execution machinery).
- **audit append**: one decision record, and four, appended to the chain in one
  transaction (audit.store.append: lock the head, insert, move the head, commit).

Prints wall time and CPU time (the process's) per call. The SQLite file is in a
temporary folder with the service's pragmas (WAL, synchronous=FULL), so an
append's wall time includes a durable commit on that folder's file system.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlmodel import Session

from audit.chain import Signer
from audit.store import Prepared, append
from db.engine import make_engine
from db.schema import create_schema
from policy.facts import RegistryState
from registry.state import (
    BLOCKS,
    CONSENTS,
    OBJECTIONS,
    block_fact,
    consent_fact,
    objection_fact,
    read_registry_states,
)
from registry.tables import BlockRow, ConsentRow

CHILDREN = [f"01011{n:05d}" for n in range(8)]


def _seed(db: Engine) -> None:
    """Two consents and a block for each child, as a seeded family has."""
    rows: list[Any] = []
    for n, child in enumerate(CHILDREN):
        for k in range(2):
            rows.append(
                ConsentRow(
                    id=f"c-{n}-{k}",
                    child_cpr=child,
                    regime="sul-43-1",
                    giver_cpr=f"p-{n}-{k}",
                    giver_capacity="custody_holder",
                    categories=["psychiatry_appointments", "psychiatry_contacts"],
                    recipient_organisation_id="851-family",
                    purposes=[],
                    form="written",
                    given_on=date(2026, 9, 30),
                    valid_until=date(2027, 7, 27),
                    recorded_at=datetime(2026, 9, 30, 9, tzinfo=UTC),
                )
            )
        rows.append(
            BlockRow(
                id=f"k-{n}",
                child_cpr=child,
                target_kind="organisation",
                target_id="851-ppr",
                categories=[],
                valid_from=date(2026, 11, 1),
                recorded_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
            )
        )
    with Session(db) as session:
        session.add_all(rows)
        session.commit()


def sqlalchemy_read(db: Engine, cprs: Sequence[str]) -> dict[str, RegistryState]:
    """The registry read as the service made it before s30: SQLAlchemy Core on a
    session's connection, every column of each table."""
    found = {cpr: RegistryState(consents=[], objections=[], blocks=[]) for cpr in cprs}
    tables: list[tuple[Table, Callable[[Any], Any], str]] = [
        (CONSENTS, consent_fact, "consents"),
        (OBJECTIONS, objection_fact, "objections"),
        (BLOCKS, block_fact, "blocks"),
    ]
    with Session(db) as session:
        connection = session.connection()
        for table, fact, field in tables:
            for row in connection.execute(select(table).where(table.c.child_cpr.in_(cprs))):
                getattr(found[row.child_cpr], field).append(fact(row))
    return found


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(wall, CPU) milliseconds per call, after one untimed call."""
    call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        call()
    return (
        (time.perf_counter() - wall) / repeat * 1000,
        (time.process_time() - cpu) / repeat * 1000,
    )


def _record(n: int) -> Prepared:
    body = '{"kind":"decision","n":' + str(n) + ',"pad":"' + "x" * 3000 + '"}'
    return Prepared(
        body=body,
        columns={
            "recorded_at": datetime.now(UTC),
            "kind": "decision",
            "decision_id": f"d-{n}",
            "child_cpr": CHILDREN[0],
            "requester_id": "cw-851-family-1",
            "organisation_id": "851-family",
            "outcome": "permit",
            "override": False,
        },
    )


def measure(db: Engine, repeat: int) -> list[tuple[str, float, float]]:
    """(what, wall ms, CPU ms) per call."""
    _seed(db)
    one, eight = CHILDREN[:1], CHILDREN
    assert read_registry_states(db, eight) == sqlalchemy_read(db, eight)
    signer = Signer("bench-only-key")
    rows = [
        ("registry read, 1 child, SQLAlchemy Core (before)", lambda: sqlalchemy_read(db, one)),
        ("registry read, 1 child, driver cursor", lambda: read_registry_states(db, one)),
        ("registry read, 8 children, SQLAlchemy Core (before)", lambda: sqlalchemy_read(db, eight)),
        ("registry read, 8 children, driver cursor", lambda: read_registry_states(db, eight)),
        (
            "audit append, 1 record",
            lambda: append(db, signer, [_record(0)], datetime.now(UTC)),
        ),
        (
            "audit append, 4 records",
            lambda: append(db, signer, [_record(n) for n in range(4)], datetime.now(UTC)),
        ),
    ]
    results = []
    for what, call in rows:
        appends = what.startswith("audit")
        wall, cpu = timed(call, max(1, repeat // 4) if appends else repeat)
        results.append((what, wall, cpu))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(db)
        try:
            results = measure(db, args.repeat)
        finally:
            db.dispose()
    print("| call | wall ms | CPU ms |")
    print("|---|---|---|")
    for what, wall, cpu in results:
        print(f"| {what} | {wall:.3f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
