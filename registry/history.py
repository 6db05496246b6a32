"""The registry's history: the append-only event rows every write adds, and
the child's history as the API shows it (with the events that happen by the
passing of time, derived from the stored dates).

Nothing is deleted: revocation, withdrawal, lifting and supersession are times
on the row plus a row in the event table."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from policy.facts import ChildRecord
from policy.persons import PersonHandles, PersonRef
from registry.entitlement import self_consent_day
from registry.models import EventPublic, RecordedBy
from registry.standing import ConsentStanding, Judge, standing_of
from registry.tables import (
    BlockRow,
    ConsentRow,
    EventRow,
    ObjectionRow,
    required_utc,
    utc,
)
from registry.writer import Change, Writer, event_action


def record_event(
    session: Session,
    cpr: str,
    kind: str,
    entry_id: str,
    event: str,
    at: datetime,
    by: str | None = None,
    recorded_by: RecordedBy | None = None,
    **detail: Any,
) -> None:
    if recorded_by is not None:
        detail["recorded_by"] = recorded_by.model_dump(exclude_none=True)
    session.add(
        EventRow(
            child_cpr=cpr,
            entry_kind=kind,
            entry_id=entry_id,
            event=event,
            at=at,
            by_cpr=by,
            detail=detail,
        )
    )


def in_recording_order(session: Session, cpr: str, rows: list[Any]) -> list[Any]:
    """Rows in the order they were recorded (the event table's sequence breaks
    ties between rows recorded in the same instant)."""
    order = {
        entry_id: n
        for n, entry_id in enumerate(
            session.exec(
                select(EventRow.entry_id)
                .where(EventRow.child_cpr == cpr, EventRow.event == "recorded")
                .order_by(col(EventRow.id))
            ).all()
        )
    }
    return sorted(rows, key=lambda r: (required_utc(r.recorded_at), order.get(r.id, -1)))


def store(
    session: Session,
    row: ConsentRow | ObjectionRow | BlockRow,
    child_cpr: str,
    kind: str,
    event: str,
    now: datetime,
    writer: Writer,
) -> None:
    """Write a registry row and its history event in one transaction, after the
    audit record of the change is committed (nothing is stored unaudited)."""
    categories = list(row.categories)
    writer.audit(
        Change(
            action=f"{kind}.{event_action(event)}",
            entry_id=row.id,
            person=writer.person,
            recorded_by=writer.recorded_by,
            categories=categories,
        )
    )
    session.add(row)
    record_event(
        session,
        child_cpr,
        kind,
        row.id,
        event,
        now,
        by=writer.person,
        recorded_by=writer.recorded_by,
    )
    session.commit()
    session.refresh(row)


def lapse_day(row: ConsentRow, child: ChildRecord, standing: ConsentStanding) -> date | None:
    """The day a custody holder's consent stopped counting because the child
    turned 15, when the policy says it has (and that day came before its end)."""
    if not standing.lapsed_at_self_consent_age:
        return None
    day = self_consent_day(child)
    return day if day <= row.valid_until else None


def history(
    session: Session, child: ChildRecord, now: datetime, names: PersonHandles, *, judge: Judge
) -> list[EventPublic]:
    """Every event for the child: the stored ones, and those that happen by the
    passing of time (a consent's or block's expiry, a custody holder's consent
    lapsing when the child turns 15), derived from the stored dates."""
    today = now.date()
    events = [
        EventPublic(
            entry_kind=e.entry_kind,
            entry_id=e.entry_id,
            event=e.event,
            at=utc(e.at),
            on=required_utc(e.at).date(),
            by=_person_ref(child, e.by_cpr, names),
            recorded_by=RecordedBy.model_validate(e.detail["recorded_by"])
            if "recorded_by" in e.detail
            else None,
            detail={k: v for k, v in e.detail.items() if k != "recorded_by"},
        )
        for e in session.exec(
            select(EventRow).where(EventRow.child_cpr == child.cpr).order_by(col(EventRow.id))
        ).all()
    ]
    consents = session.exec(select(ConsentRow).where(ConsentRow.child_cpr == child.cpr)).all()
    standing = standing_of(judge, child, today, names, consents=consents).consents
    for c in consents:
        ended = min(
            (required_utc(t).date() for t in (c.revoked_at, c.superseded_at) if t is not None),
            default=None,
        )
        lapsed = lapse_day(c, child, standing[c.id])
        expired_on = c.valid_until + timedelta(days=1)
        if lapsed is not None and (ended is None or lapsed <= ended):
            events.append(
                EventPublic(
                    entry_kind="consent",
                    entry_id=c.id,
                    event="lapsed_at_self_consent_age",
                    at=None,
                    on=lapsed,
                    derived=True,
                )
            )
        elif expired_on <= today and (ended is None or expired_on <= ended):
            events.append(
                EventPublic(
                    entry_kind="consent",
                    entry_id=c.id,
                    event="expired",
                    at=None,
                    on=expired_on,
                    derived=True,
                )
            )
    for b in session.exec(select(BlockRow).where(BlockRow.child_cpr == child.cpr)).all():
        if b.valid_until is None:
            continue
        ends = b.valid_until + timedelta(days=1)
        lifted = utc(b.lifted_at)
        if ends <= today and (lifted is None or ends <= lifted.date()):
            events.append(
                EventPublic(
                    entry_kind="block",
                    entry_id=b.id,
                    event="expired",
                    at=None,
                    on=ends,
                    derived=True,
                )
            )
    return sorted(events, key=lambda e: (e.on, e.at is None, e.at or now))


def _person_ref(child: ChildRecord, by: str | None, names: PersonHandles) -> PersonRef | None:
    """A person named in the history, by handle; anything that is not a CPR number
    (older rows named the replacing consent here) is not a person."""
    if by is None or not by.isdigit():
        return None
    return names.ref(child, by)
