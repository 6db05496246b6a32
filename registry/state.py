"""The registry as the policy reads it: each stored row as a fact, unjudged.

Decisions read the child's whole registry afresh (so a revocation counts from
the next one), and the registry's own listings hand the same facts to the
policy to learn where each entry stands (registry/standing.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, select
from sqlmodel import Session

from policy.facts import BlockFact, BlockTarget, ConsentFact, ObjectionFact, RegistryState
from registry.tables import BlockRow, ConsentRow, ObjectionRow, utc

CONSENTS: Table = ConsentRow.__table__  # type: ignore[attr-defined]
OBJECTIONS: Table = ObjectionRow.__table__  # type: ignore[attr-defined]
BLOCKS: Table = BlockRow.__table__  # type: ignore[attr-defined]


def isoformat(moment: datetime | None) -> str | None:
    moment = utc(moment)
    return moment.isoformat() if moment else None


def consent_fact(c: ConsentRow | Row[Any]) -> ConsentFact:
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


def objection_fact(o: ObjectionRow | Row[Any]) -> ObjectionFact:
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


def block_fact(b: BlockRow | Row[Any]) -> BlockFact:
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
    """`registry_state` of several children, with one query per table.

    Read as plain rows (SQLAlchemy Core on the session's connection), not ORM
    objects: every decision reads this, and the ORM's per-statement and
    per-object work cost about thirty times the three queries themselves."""
    connection = session.connection()
    asked = list(dict.fromkeys(cprs))
    found: dict[str, RegistryState] = {
        cpr: RegistryState(consents=[], objections=[], blocks=[]) for cpr in asked
    }
    for row in connection.execute(select(CONSENTS).where(CONSENTS.c.child_cpr.in_(asked))):
        found[row.child_cpr].consents.append(consent_fact(row))
    for row in connection.execute(select(OBJECTIONS).where(OBJECTIONS.c.child_cpr.in_(asked))):
        found[row.child_cpr].objections.append(objection_fact(row))
    for row in connection.execute(select(BLOCKS).where(BLOCKS.c.child_cpr.in_(asked))):
        found[row.child_cpr].blocks.append(block_fact(row))
    return found
