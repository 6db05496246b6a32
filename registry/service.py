"""Recording and reading consents, objections and blocks.

Rules enforced when recording (each refusal names why):
- a consent names a regime the policy knows; GDPR consent is refused;
- the form is one the regime allows (§ 43/§ 44: written);
- the giver was entitled on the day it was given: the child from 15, under 15 a
  custody holder (facts from the child's CPR record);
- the end is capped by the regime's maximum validity (§ 44: one year). A
  consent whose paper names a later end is still a valid consent for its first
  year, so it is recorded with the capped end and `expiry_capped`, not refused.
Nothing is deleted: revocation, withdrawal, lifting and supersession are times
on the row plus a row in the event table.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from policy.catalogue import catalogue
from policy.cpr import age_on
from policy.errors import Conflict, InvalidRequest, NotEntitled, NotFound
from policy.facts import (
    BlockFact,
    BlockTarget,
    Capacity,
    ChildRecord,
    ConsentFact,
    ObjectionFact,
    RegistryState,
)
from policy.persons import PersonHandles, PersonRef
from registry.models import (
    BlockCreate,
    BlockPublic,
    BlockStatus,
    ConsentCreate,
    ConsentPublic,
    ConsentStatus,
    EventPublic,
    ObjectionCreate,
    ObjectionPublic,
    Recipient,
    RecordedBy,
    SourceIdentifier,
)
from registry.tables import BlockRow, ConsentRow, EventRow, ObjectionRow
from registry.writer import Change, Writer, event_action

GDPR_REGIMES = {"gdpr-6-1-a", "gdpr-9-2-a", "gdpr"}


# --- dates -------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_cap(regime: str, given_on: date) -> date:
    """The last day a consent of `regime` given on `given_on` can count."""
    months = catalogue().regimes[regime].max_validity_months
    return add_months(given_on, months) - timedelta(days=1)


def self_consent_day(child: ChildRecord) -> date:
    """The child's birthday at the self-consent age (15)."""
    return add_months(child.birth_date, 12 * catalogue().consent.self_consent_age)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without offset; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _required_utc(moment: datetime) -> datetime:
    result = _utc(moment)
    assert result is not None
    return result


# --- entitlement ---------------------------------------------------------------


def capacity(child: ChildRecord, person: str, on: date, field: str = "given_by") -> Capacity:
    """Whether `person` could decide for the child on that day, and as what.
    `field` names what the refusal points at (the token, or `on_behalf_of`)."""
    self_age = catalogue().consent.self_consent_age
    child_decides = age_on(child.birth_date, on) >= self_age
    if child_decides and person == child.cpr:
        return "child"
    if not child_decides and person in child.custody_holders:
        return "custody_holder"
    if child_decides:
        raise NotEntitled(
            f"on {on.isoformat()} the young person was {self_age} or older and decides alone "
            "(Sundhedsloven § 17); only the young person may give or refuse this",
            field=field,
        )
    if person == child.cpr:
        raise NotEntitled(
            f"on {on.isoformat()} the child was under {self_age}; the custody holders decide "
            "for the child (Sundhedsloven § 14, Forældreansvarsloven § 2)",
            field=field,
        )
    raise NotEntitled(
        f"on {on.isoformat()} the child was under {self_age} and this person is not one of "
        "the child's custody holders in the CPR register; only a custody holder may give or "
        "refuse this",
        field=field,
    )


def _may_end(
    child: ChildRecord, person: str, original: str, today: date, what: str, field: str
) -> None:
    """Who may revoke, withdraw or lift: the person who gave it, or the young
    person once they decide alone (they take over what was decided for them)."""
    if person == original:
        return
    if person == child.cpr and age_on(child.birth_date, today) >= (
        catalogue().consent.self_consent_age
    ):
        return
    raise NotEntitled(
        f"only the person who gave this {what}, or the young person from "
        f"{catalogue().consent.self_consent_age}, may end it",
        field=field,
    )


def _check_regime(regime: str) -> None:
    known = ", ".join(sorted(catalogue().regimes))
    if regime.lower() in GDPR_REGIMES:
        raise InvalidRequest(
            "GDPR consent is not a basis this service accepts: public bodies rest on law "
            "(Art. 6(1)(e) and 9(2)(h)). Record the sector consent that lifts the duty of "
            f"confidentiality instead, one of: {known}",
            field="regime",
        )
    if regime not in catalogue().regimes:
        raise InvalidRequest(f"unknown consent regime {regime!r}; known: {known}", field="regime")


# --- events --------------------------------------------------------------------


def _event(
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


def _in_recording_order(session: Session, cpr: str, rows: list[Any]) -> list[Any]:
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
    return sorted(rows, key=lambda r: (_required_utc(r.recorded_at), order.get(r.id, -1)))


# --- consents -------------------------------------------------------------------


def _custody_consent_lapsed(row: ConsentRow, child: ChildRecord, today: date) -> date | None:
    """The day a custody holder's consent stopped counting because the child
    turned 15, if the regime says it does and that day has come."""
    if row.giver_capacity != "custody_holder":
        return None
    if not catalogue().consent.custody_consent_lapses(row.regime):
        return None
    day = self_consent_day(child)
    return day if day <= today and day <= row.valid_until else None


def _consent_status(
    row: ConsentRow, child: ChildRecord, today: date
) -> tuple[ConsentStatus, str | None]:
    if row.revoked_at is not None:
        return "revoked", None
    if row.superseded_by is not None:
        return "superseded", f"replaced by {row.superseded_by}"
    if today > row.valid_until:
        note = None
        if row.valid_until_requested and row.valid_until_requested > row.valid_until:
            note = (
                f"lapsed after the regime's maximum validity "
                f"({catalogue().regimes[row.regime].max_validity_months} months)"
            )
        return "expired", note
    lapsed = _custody_consent_lapsed(row, child, today)
    if lapsed is not None:
        return "expired", (
            f"the young person turned {catalogue().consent.self_consent_age} on "
            f"{lapsed.isoformat()} and now decides alone; custody holders' {row.regime} "
            "consents stop counting"
        )
    if row.giver_capacity == "custody_holder" and row.giver_cpr not in child.custody_holders:
        return "expired", "the giver is no longer a custody holder in the CPR register"
    return "active", None


def _consent_public(
    row: ConsentRow, child: ChildRecord, today: date, names: PersonHandles
) -> ConsentPublic:
    status, note = _consent_status(row, child, today)
    return ConsentPublic(
        id=row.id,
        child_cpr=row.child_cpr,
        regime=row.regime,
        given_by=names.ref(child, row.giver_cpr),
        capacity="child" if row.giver_capacity == "child" else "custody_holder",
        categories=list(row.categories),
        recipient=Recipient(
            organisation_type=row.recipient_organisation_type,
            organisation_id=row.recipient_organisation_id,
        ),
        purposes=list(row.purposes),
        form=row.form,
        given_on=row.given_on,
        valid_until=row.valid_until,
        valid_until_requested=row.valid_until_requested,
        expiry_capped=row.valid_until_requested is not None
        and row.valid_until_requested > row.valid_until,
        custodian=row.custodian_organisation_id,
        source=row.source,
        source_identifiers=[SourceIdentifier.model_validate(i) for i in row.source_identifiers],
        recorded_at=_required_utc(row.recorded_at),
        recorded_by=RecordedBy.model_validate(row.recorded_by),
        revoked_at=_utc(row.revoked_at),
        revoked_by=names.ref(child, row.revoked_by_cpr) if row.revoked_by_cpr else None,
        revocation_recorded_by=RecordedBy.model_validate(row.revocation_recorded_by)
        if row.revocation_recorded_by
        else None,
        superseded_by=row.superseded_by,
        superseded_at=_utc(row.superseded_at),
        status=status,
        status_note=note,
    )


def _covers(newer: ConsentRow, older: ConsentRow) -> bool:
    """Does `newer` say everything `older` said, for the same giver, regime and recipient?"""
    same = (
        newer.child_cpr == older.child_cpr
        and newer.giver_cpr == older.giver_cpr
        and newer.regime == older.regime
        and newer.recipient_organisation_type == older.recipient_organisation_type
        and newer.recipient_organisation_id == older.recipient_organisation_id
    )
    purposes_covered = not newer.purposes or (
        bool(older.purposes) and set(older.purposes) <= set(newer.purposes)
    )
    return (
        same
        and set(older.categories) <= set(newer.categories)
        and purposes_covered
        and older.given_on <= newer.given_on
    )


def _supersede(session: Session, row: ConsentRow, now: datetime) -> None:
    """A newer consent from the same giver for the same regime and recipient that
    covers at least the same categories and purposes replaces the older one
    (an older consent arriving late is itself marked replaced)."""
    others = session.exec(
        select(ConsentRow).where(
            ConsentRow.child_cpr == row.child_cpr,
            ConsentRow.giver_cpr == row.giver_cpr,
            ConsentRow.regime == row.regime,
            ConsentRow.id != row.id,
            col(ConsentRow.revoked_at).is_(None),
            col(ConsentRow.superseded_by).is_(None),
        )
    ).all()
    for other in sorted(others, key=lambda r: (r.given_on, r.id)):
        if row.superseded_by is None and _covers(row, other):
            other.superseded_by, other.superseded_at = row.id, now
            session.add(other)
            _event(
                session, row.child_cpr, "consent", other.id, "superseded", now, replaced_by=row.id
            )
        elif _covers(other, row) and other.given_on > row.given_on:
            row.superseded_by, row.superseded_at = other.id, now
            session.add(row)
            _event(
                session, row.child_cpr, "consent", row.id, "superseded", now, replaced_by=other.id
            )


def create_consent(
    session: Session,
    child: ChildRecord,
    body: ConsentCreate,
    now: datetime,
    writer: Writer,
    *,
    source: str = "api",
    source_identifiers: list[dict[str, str]] | None = None,
) -> ConsentPublic:
    _check_regime(body.regime)
    regime = catalogue().regimes[body.regime]
    if body.form not in regime.forms:
        raise InvalidRequest(
            f"a {body.regime} consent must be {' or '.join(regime.forms)} ({regime.label})",
            field="form",
        )
    today = now.date()
    if body.given_on > today:
        raise InvalidRequest("a consent cannot be given in the future", field="given_on")
    if body.given_on < child.birth_date:
        raise InvalidRequest("the consent is dated before the child was born", field="given_on")
    giver_capacity = capacity(child, writer.person, body.given_on, writer.person_field)
    cap = expiry_cap(body.regime, body.given_on)
    row = ConsentRow(
        id=f"consent-{uuid.uuid4()}",
        child_cpr=child.cpr,
        regime=body.regime,
        giver_cpr=writer.person,
        giver_capacity=giver_capacity,
        categories=list(dict.fromkeys(body.categories)),
        recipient_organisation_type=body.recipient.organisation_type,
        recipient_organisation_id=body.recipient.organisation_id,
        purposes=list(dict.fromkeys(body.purposes)),
        form=body.form,
        given_on=body.given_on,
        valid_until=min(body.valid_until, cap) if body.valid_until else cap,
        valid_until_requested=body.valid_until,
        custodian_organisation_id=body.custodian,
        source=source,
        source_identifiers=source_identifiers or [],
        recorded_at=now,
        recorded_by=writer.recorded_by.model_dump(exclude_none=True),
    )
    writer.audit(
        Change(
            action="consent.record",
            entry_id=row.id,
            person=writer.person,
            recorded_by=writer.recorded_by,
            categories=row.categories,
            summary={
                "regime": row.regime,
                "recipient": body.recipient.model_dump(exclude_none=True),
                "form": row.form,
                "valid_until": row.valid_until.isoformat(),
            },
        )
    )
    session.add(row)
    _event(
        session,
        child.cpr,
        "consent",
        row.id,
        "recorded",
        now,
        by=writer.person,
        recorded_by=writer.recorded_by,
        source=source,
        valid_until=row.valid_until.isoformat(),
    )
    session.flush()
    _supersede(session, row, now)
    session.commit()
    session.refresh(row)
    return _consent_public(row, child, today, writer.names)


def _filter_consent(rows: list[ConsentPublic], status: ConsentStatus | None) -> list[ConsentPublic]:
    return [r for r in rows if status is None or r.status == status]


def list_consents(
    session: Session,
    child: ChildRecord,
    now: datetime,
    names: PersonHandles,
    status: ConsentStatus | None = None,
) -> list[ConsentPublic]:
    rows = _in_recording_order(
        session,
        child.cpr,
        list(session.exec(select(ConsentRow).where(ConsentRow.child_cpr == child.cpr)).all()),
    )
    return _filter_consent([_consent_public(r, child, now.date(), names) for r in rows], status)


def _consent_row(session: Session, cpr: str, consent_id: str) -> ConsentRow:
    row = session.get(ConsentRow, consent_id)
    if row is None or row.child_cpr != cpr:
        raise NotFound(f"no consent {consent_id!r} for this child", field="consent_id")
    return row


def consent_row(session: Session, child: ChildRecord, consent_id: str) -> ConsentRow:
    return _consent_row(session, child.cpr, consent_id)


def _store(
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
    _event(
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


def get_consent(
    session: Session, child: ChildRecord, consent_id: str, now: datetime, names: PersonHandles
) -> ConsentPublic:
    return _consent_public(_consent_row(session, child.cpr, consent_id), child, now.date(), names)


def revoke_consent(
    session: Session, child: ChildRecord, consent_id: str, now: datetime, writer: Writer
) -> ConsentPublic:
    """Revoke: by the giver (or the young person from 15) with their own login, or
    reported by a professional whom that person told; either way at once."""
    row = _consent_row(session, child.cpr, consent_id)
    if row.revoked_at is not None:
        raise Conflict("the consent is already revoked", field="consent_id")
    _may_end(child, writer.person, row.giver_cpr, now.date(), "consent", writer.person_field)
    row.revoked_at, row.revoked_by_cpr = now, writer.person
    row.revocation_recorded_by = writer.recorded_by.model_dump(exclude_none=True)
    _store(session, row, child.cpr, "consent", "revoked", now, writer)
    return _consent_public(row, child, now.date(), writer.names)


# --- objections -----------------------------------------------------------------


def _recipient_or_none(org_type: str | None, org_id: str | None) -> Recipient | None:
    if org_type is None and org_id is None:
        return None
    return Recipient(organisation_type=org_type, organisation_id=org_id)


def _objection_public(
    row: ObjectionRow, child: ChildRecord, today: date, names: PersonHandles
) -> ObjectionPublic:
    note = None
    if row.withdrawn_at is None and row.person_capacity == "custody_holder":
        if today >= self_consent_day(child):
            note = (
                f"the young person is {catalogue().consent.self_consent_age} or older and "
                "decides alone; a custody holder's objection no longer counts"
            )
        elif row.person_cpr not in child.custody_holders:
            note = "the objector is no longer a custody holder; the objection no longer counts"
    return ObjectionPublic(
        id=row.id,
        child_cpr=row.child_cpr,
        given_by=names.ref(child, row.person_cpr),
        capacity="child" if row.person_capacity == "child" else "custody_holder",
        categories=list(row.categories),
        recipient=_recipient_or_none(
            row.recipient_organisation_type, row.recipient_organisation_id
        ),
        recorded_at=_required_utc(row.recorded_at),
        recorded_by=RecordedBy.model_validate(row.recorded_by),
        withdrawn_at=_utc(row.withdrawn_at),
        withdrawn_by=names.ref(child, row.withdrawn_by_cpr) if row.withdrawn_by_cpr else None,
        status="withdrawn" if row.withdrawn_at else "active",
        status_note=note,
    )


def create_objection(
    session: Session, child: ChildRecord, body: ObjectionCreate, now: datetime, writer: Writer
) -> ObjectionPublic:
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
    _store(session, row, child.cpr, "objection", "recorded", now, writer)
    return _objection_public(row, child, now.date(), writer.names)


def list_objections(
    session: Session, child: ChildRecord, now: datetime, names: PersonHandles
) -> list[ObjectionPublic]:
    rows = _in_recording_order(
        session,
        child.cpr,
        list(session.exec(select(ObjectionRow).where(ObjectionRow.child_cpr == child.cpr)).all()),
    )
    return [_objection_public(r, child, now.date(), names) for r in rows]


def withdraw_objection(
    session: Session, child: ChildRecord, objection_id: str, now: datetime, writer: Writer
) -> ObjectionPublic:
    row = session.get(ObjectionRow, objection_id)
    if row is None or row.child_cpr != child.cpr:
        raise NotFound(f"no objection {objection_id!r} for this child", field="objection_id")
    if row.withdrawn_at is not None:
        raise Conflict("the objection is already withdrawn", field="objection_id")
    _may_end(child, writer.person, row.person_cpr, now.date(), "objection", writer.person_field)
    row.withdrawn_at, row.withdrawn_by_cpr = now, writer.person
    _store(session, row, child.cpr, "objection", "withdrawn", now, writer)
    return _objection_public(row, child, now.date(), writer.names)


# --- blocks ---------------------------------------------------------------------------


def _block_status(row: BlockRow, today: date) -> BlockStatus:
    if row.lifted_at is not None:
        return "lifted"
    if today < row.valid_from:
        return "scheduled"
    if row.valid_until is not None and today > row.valid_until:
        return "expired"
    return "active"


def _block_public(
    row: BlockRow, child: ChildRecord, today: date, names: PersonHandles
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
        recorded_at=_required_utc(row.recorded_at),
        recorded_by=RecordedBy.model_validate(row.recorded_by),
        lifted_at=_utc(row.lifted_at),
        lifted_by=names.ref(child, row.lifted_by_cpr) if row.lifted_by_cpr else None,
        status=_block_status(row, today),
    )


def create_block(
    session: Session,
    child: ChildRecord,
    body: BlockCreate,
    now: datetime,
    writer: Writer,
    known_organisations: Collection[str] | None = None,
) -> BlockPublic:
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
    _store(session, row, child.cpr, "block", "recorded", now, writer)
    return _block_public(row, child, now.date(), writer.names)


def list_blocks(
    session: Session, child: ChildRecord, now: datetime, names: PersonHandles
) -> list[BlockPublic]:
    rows = _in_recording_order(
        session,
        child.cpr,
        list(session.exec(select(BlockRow).where(BlockRow.child_cpr == child.cpr)).all()),
    )
    return [_block_public(r, child, now.date(), names) for r in rows]


def lift_block(
    session: Session, child: ChildRecord, block_id: str, now: datetime, writer: Writer
) -> BlockPublic:
    row = session.get(BlockRow, block_id)
    if row is None or row.child_cpr != child.cpr:
        raise NotFound(f"no block {block_id!r} for this child", field="block_id")
    if row.lifted_at is not None:
        raise Conflict("the block is already lifted", field="block_id")
    _may_end(child, writer.person, row.given_by_cpr or "", now.date(), "block", writer.person_field)
    row.lifted_at, row.lifted_by_cpr = now, writer.person
    _store(session, row, child.cpr, "block", "lifted", now, writer)
    return _block_public(row, child, now.date(), writer.names)


# --- history --------------------------------------------------------------------------


def history(
    session: Session, child: ChildRecord, now: datetime, names: PersonHandles
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
            at=_utc(e.at),
            on=_required_utc(e.at).date(),
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
    for c in session.exec(select(ConsentRow).where(ConsentRow.child_cpr == child.cpr)).all():
        ended = min(
            (_required_utc(t).date() for t in (c.revoked_at, c.superseded_at) if t is not None),
            default=None,
        )
        lapsed = _custody_consent_lapsed(c, child, today)
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
        lifted = _utc(b.lifted_at)
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


# --- the policy's view -------------------------------------------------------------------


def registry_state(session: Session, cpr: str) -> RegistryState:
    """Everything recorded for the child, as the policy reads it at decision time.
    Read afresh for every decision, so a revocation counts from the next one."""
    consents = session.exec(select(ConsentRow).where(ConsentRow.child_cpr == cpr)).all()
    objections = session.exec(select(ObjectionRow).where(ObjectionRow.child_cpr == cpr)).all()
    blocks = session.exec(select(BlockRow).where(BlockRow.child_cpr == cpr)).all()
    return RegistryState(
        consents=[
            ConsentFact(
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
                revoked_at=_isoformat(c.revoked_at),
                superseded_by=c.superseded_by,
            )
            for c in consents
        ],
        objections=[
            ObjectionFact(
                id=o.id,
                person=o.person_cpr,
                categories=list(o.categories),
                recipient=None
                if o.recipient_organisation_type is None and o.recipient_organisation_id is None
                else {
                    "organisation_type": o.recipient_organisation_type,
                    "organisation_id": o.recipient_organisation_id,
                },
                withdrawn_at=_isoformat(o.withdrawn_at),
            )
            for o in objections
        ],
        blocks=[
            BlockFact(
                id=b.id,
                target=BlockTarget(
                    kind=b.target_kind,
                    id=b.target_id,
                    include_sub_units=b.include_sub_units,
                ),
                categories=list(b.categories),
                valid_from=b.valid_from,
                valid_until=b.valid_until,
                lifted_at=_isoformat(b.lifted_at),
            )
            for b in blocks
        ],
    )


def _isoformat(moment: datetime | None) -> str | None:
    utc = _utc(moment)
    return utc.isoformat() if utc else None
