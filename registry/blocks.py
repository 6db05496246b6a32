"""Blocks in the style of Min spærring: set and lifted by the family, against a
professional, an organisation (with or without its sub-units), a source
organisation, or a period. Whether a block is in force is the policy's word
(registry/standing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlmodel import Session, select

from policy.errors import Conflict, InvalidRequest, NotFound
from policy.facts import ChildRecord
from policy.persons import PersonHandles
from registry.entitlement import capacity, may_end
from registry.history import in_recording_order, store
from registry.models import BlockCreate, BlockPublic, BlockStatus, RecordedBy
from registry.standing import Judge, standing_of
from registry.tables import BlockRow, required_utc, utc
from registry.writer import Writer


def block_public(
    row: BlockRow, child: ChildRecord, status: BlockStatus, names: PersonHandles
) -> BlockPublic:
    return BlockPublic(
        id=row.id,
        child_cpr=row.child_cpr,
        given_by=names.ref(child, row.given_by_cpr) if row.given_by_cpr else None,
        capacity=row.given_by_capacity,
        target_kind=row.target_kind,
        target_id=row.target_id,
        include_sub_units=row.include_sub_units,
        categories=list(row.categories),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        recorded_at=required_utc(row.recorded_at),
        recorded_by=RecordedBy.model_validate(row.recorded_by),
        lifted_at=utc(row.lifted_at),
        lifted_by=names.ref(child, row.lifted_by_cpr) if row.lifted_by_cpr else None,
        status=status,
    )


def blocks_public(
    rows: Sequence[BlockRow], child: ChildRecord, today: date, names: PersonHandles, judge: Judge
) -> list[BlockPublic]:
    """The API's view of the rows, each with the policy's word on whether it is in force."""
    standing = standing_of(judge, child, today, names, blocks=rows).blocks
    return [block_public(r, child, standing[r.id], names) for r in rows]


def record_block(
    session: Session,
    child: ChildRecord,
    body: BlockCreate,
    now: datetime,
    writer: Writer,
    known_organisations: Collection[str] | None = None,
) -> BlockRow:
    """Record a block. With the organisation register at hand, a block on an
    organisation it does not know is refused: it would hide nothing."""
    giver_capacity = capacity(child, writer.person, now.date(), writer.person_field)
    if (
        known_organisations is not None
        and body.target_kind in ("organisation", "source_organisation")
        and body.target_id not in known_organisations
    ):
        raise InvalidRequest(
            f"no organisation {body.target_id!r} in the organisation register; a block on "
            "it would hide nothing",
            field="target_id",
        )
    row = BlockRow(
        id=f"block-{uuid.uuid4()}",
        child_cpr=child.cpr,
        given_by_cpr=writer.person,
        given_by_capacity=giver_capacity,
        target_kind=body.target_kind,
        target_id=body.target_id,
        include_sub_units=body.include_sub_units,
        categories=list(dict.fromkeys(body.categories)),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        recorded_at=now,
        recorded_by=writer.recorded_by.model_dump(exclude_none=True),
    )
    store(session, row, child.cpr, "block", "recorded", now, writer)
    return row


def create_block(
    session: Session,
    child: ChildRecord,
    body: BlockCreate,
    now: datetime,
    writer: Writer,
    known_organisations: Collection[str] | None = None,
    *,
    judge: Judge,
) -> BlockPublic:
    row = record_block(session, child, body, now, writer, known_organisations)
    return blocks_public([row], child, now.date(), writer.names, judge)[0]


def list_blocks(
    session: Session, child: ChildRecord, now: datetime, names: PersonHandles, *, judge: Judge
) -> list[BlockPublic]:
    rows = in_recording_order(
        session,
        child.cpr,
        list(session.exec(select(BlockRow).where(BlockRow.child_cpr == child.cpr)).all()),
    )
    return blocks_public(rows, child, now.date(), names, judge)


def record_lift(
    session: Session, child: ChildRecord, block_id: str, now: datetime, writer: Writer
) -> BlockRow:
    row = session.get(BlockRow, block_id)
    if row is None or row.child_cpr != child.cpr:
        raise NotFound(f"no block {block_id!r} for this child", field="block_id")
    if row.lifted_at is not None:
        raise Conflict("the block is already lifted", field="block_id")
    may_end(child, writer.person, row.given_by_cpr or "", now.date(), "block", writer.person_field)
    row.lifted_at, row.lifted_by_cpr = now, writer.person
    store(session, row, child.cpr, "block", "lifted", now, writer)
    return row


def lift_block(
    session: Session,
    child: ChildRecord,
    block_id: str,
    now: datetime,
    writer: Writer,
    *,
    judge: Judge,
) -> BlockPublic:
    row = record_lift(session, child, block_id, now, writer)
    return blocks_public([row], child, now.date(), writer.names, judge)[0]
