"""Objections: an entitled person's "no", recorded, withdrawn and shown with
whether it still counts (the policy's word: registry/standing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, select

from policy.catalogue import catalogue
from policy.errors import Conflict, NotFound
from policy.facts import ChildRecord
from policy.persons import PersonHandles
from registry.entitlement import capacity, may_end
from registry.history import in_recording_order, store
from registry.models import ObjectionCreate, ObjectionPublic, Recipient, RecordedBy
from registry.standing import Judge, ObjectionStanding, standing_of
from registry.tables import ObjectionRow, required_utc, utc
from registry.writer import Writer


def recipient_or_none(org_type: str | None, org_id: str | None) -> Recipient | None:
    if org_type is None and org_id is None:
        return None
    return Recipient(organisation_type=org_type, organisation_id=org_id)


def _note(standing: ObjectionStanding) -> str | None:
    match standing.why:
        case "self_consent_age":
            return (
                f"the young person is {catalogue().consent.self_consent_age} or older and "
                "decides alone; a custody holder's objection no longer counts"
            )
        case "not_custody_holder":
            return "the objector is no longer a custody holder; the objection no longer counts"
    return None


def objection_public(
    row: ObjectionRow, child: ChildRecord, standing: ObjectionStanding, names: PersonHandles
) -> ObjectionPublic:
    return ObjectionPublic(
        id=row.id,
        child_cpr=row.child_cpr,
        given_by=names.ref(child, row.person_cpr),
        capacity="child" if row.person_capacity == "child" else "custody_holder",
        categories=list(row.categories),
        recipient=recipient_or_none(row.recipient_organisation_type, row.recipient_organisation_id),
        recorded_at=required_utc(row.recorded_at),
        recorded_by=RecordedBy.model_validate(row.recorded_by),
        withdrawn_at=utc(row.withdrawn_at),
        withdrawn_by=names.ref(child, row.withdrawn_by_cpr) if row.withdrawn_by_cpr else None,
        status="withdrawn" if row.withdrawn_at else "active",
        status_note=_note(standing),
    )


def objections_public(
    rows: Sequence[ObjectionRow],
    child: ChildRecord,
    today: date,
    names: PersonHandles,
    judge: Judge,
) -> list[ObjectionPublic]:
    standing = standing_of(judge, child, today, names, objections=rows).objections
    return [objection_public(r, child, standing[r.id], names) for r in rows]


def record_objection(
    session: Session, child: ChildRecord, body: ObjectionCreate, now: datetime, writer: Writer
) -> ObjectionRow:
    person_capacity = capacity(child, writer.person, now.date(), writer.person_field)
    row = ObjectionRow(
        id=f"objection-{uuid.uuid4()}",
        child_cpr=child.cpr,
        person_cpr=writer.person,
        person_capacity=person_capacity,
        categories=list(dict.fromkeys(body.categories)),
        recipient_organisation_type=body.recipient.organisation_type if body.recipient else None,
        recipient_organisation_id=body.recipient.organisation_id if body.recipient else None,
        recorded_at=now,
        recorded_by=writer.recorded_by.model_dump(exclude_none=True),
    )
    store(session, row, child.cpr, "objection", "recorded", now, writer)
    return row


def create_objection(
    session: Session,
    child: ChildRecord,
    body: ObjectionCreate,
    now: datetime,
    writer: Writer,
    *,
    judge: Judge,
) -> ObjectionPublic:
    row = record_objection(session, child, body, now, writer)
    return objections_public([row], child, now.date(), writer.names, judge)[0]


def list_objections(
    session: Session, child: ChildRecord, now: datetime, names: PersonHandles, *, judge: Judge
) -> list[ObjectionPublic]:
    rows = in_recording_order(
        session,
        child.cpr,
        list(session.exec(select(ObjectionRow).where(ObjectionRow.child_cpr == child.cpr)).all()),
    )
    return objections_public(rows, child, now.date(), names, judge)


def record_withdrawal(
    session: Session, child: ChildRecord, objection_id: str, now: datetime, writer: Writer
) -> ObjectionRow:
    row = session.get(ObjectionRow, objection_id)
    if row is None or row.child_cpr != child.cpr:
        raise NotFound(f"no objection {objection_id!r} for this child", field="objection_id")
    if row.withdrawn_at is not None:
        raise Conflict("the objection is already withdrawn", field="objection_id")
    may_end(child, writer.person, row.person_cpr, now.date(), "objection", writer.person_field)
    row.withdrawn_at, row.withdrawn_by_cpr = now, writer.person
    store(session, row, child.cpr, "objection", "withdrawn", now, writer)
    return row


def withdraw_objection(
    session: Session,
    child: ChildRecord,
    objection_id: str,
    now: datetime,
    writer: Writer,
    *,
    judge: Judge,
) -> ObjectionPublic:
    row = record_withdrawal(session, child, objection_id, now, writer)
    return objections_public([row], child, now.date(), writer.names, judge)[0]
