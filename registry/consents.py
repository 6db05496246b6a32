"""Consents: recording, supersession, revocation and the API's view of them.

A consent names a regime the policy knows (GDPR consent is refused), in a form
the regime allows (§ 43/§ 44: written), from a giver entitled on the day it was
given; its end is capped by the regime's maximum validity (§ 44: one year). A
consent whose paper names a later end is still a valid consent for its first
year, so it is recorded with the capped end and `expiry_capped`, not refused.
Whether a recorded consent is still in force is the policy's to say
(registry/standing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from policy.catalogue import catalogue
from policy.errors import Conflict, InvalidRequest, NotFound
from policy.facts import ChildRecord
from policy.persons import PersonHandles
from registry.entitlement import capacity, check_regime, expiry_cap, may_end
from registry.history import in_recording_order, lapse_day, record_event, store
from registry.models import (
    ConsentCreate,
    ConsentPublic,
    ConsentStatus,
    Recipient,
    RecordedBy,
    SourceIdentifier,
)
from registry.standing import ConsentStanding, Judge, standing_of
from registry.tables import ConsentRow, required_utc, utc
from registry.writer import Change, Writer


def _status_note(row: ConsentRow, child: ChildRecord, standing: ConsentStanding) -> str | None:
    """Why the policy says what it says, in words."""
    match standing.why:
        case "max_validity":
            return (
                f"lapsed after the regime's maximum validity "
                f"({catalogue().regimes[row.regime].max_validity_months} months)"
            )
        case "self_consent_age":
            lapsed = lapse_day(row, child, standing)
            return (
                f"the young person turned {catalogue().consent.self_consent_age} on "
                f"{lapsed.isoformat() if lapsed else 'their birthday'} and now decides alone; "
                f"custody holders' {row.regime} consents stop counting"
            )
        case "not_custody_holder":
            return "the giver is no longer a custody holder in the CPR register"
        case "not_entitled":
            return "the giver is not a person whose consent counts for the child today"
        case "form":
            return f"the regime no longer allows a {row.form} consent"
    if standing.status == "superseded":
        return f"replaced by {row.superseded_by}"
    return None


def consent_public(
    row: ConsentRow, child: ChildRecord, standing: ConsentStanding, names: PersonHandles
) -> ConsentPublic:
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
        recorded_at=required_utc(row.recorded_at),
        recorded_by=RecordedBy.model_validate(row.recorded_by),
        revoked_at=utc(row.revoked_at),
        revoked_by=names.ref(child, row.revoked_by_cpr) if row.revoked_by_cpr else None,
        revocation_recorded_by=RecordedBy.model_validate(row.revocation_recorded_by)
        if row.revocation_recorded_by
        else None,
        superseded_by=row.superseded_by,
        superseded_at=utc(row.superseded_at),
        status=standing.status,
        status_note=_status_note(row, child, standing),
    )


def consents_public(
    rows: Sequence[ConsentRow],
    child: ChildRecord,
    today: date,
    names: PersonHandles,
    judge: Judge,
) -> list[ConsentPublic]:
    """The API's view of the rows, each with the policy's word on where it stands."""
    standing = standing_of(judge, child, today, names, consents=rows).consents
    return [consent_public(r, child, standing[r.id], names) for r in rows]


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
            record_event(
                session, row.child_cpr, "consent", other.id, "superseded", now, replaced_by=row.id
            )
        elif _covers(other, row) and other.given_on > row.given_on:
            row.superseded_by, row.superseded_at = other.id, now
            session.add(row)
            record_event(
                session, row.child_cpr, "consent", row.id, "superseded", now, replaced_by=other.id
            )


def record_consent(
    session: Session,
    child: ChildRecord,
    body: ConsentCreate,
    now: datetime,
    writer: Writer,
    *,
    source: str = "api",
    source_identifiers: list[dict[str, str]] | None = None,
) -> ConsentRow:
    """Check and store a consent (refused with the reason when it cannot be)."""
    check_regime(body.regime)
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
    record_event(
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
    return row


def create_consent(
    session: Session,
    child: ChildRecord,
    body: ConsentCreate,
    now: datetime,
    writer: Writer,
    *,
    judge: Judge,
    source: str = "api",
    source_identifiers: list[dict[str, str]] | None = None,
) -> ConsentPublic:
    """Record a consent and answer with where it stands."""
    row = record_consent(
        session, child, body, now, writer, source=source, source_identifiers=source_identifiers
    )
    return consents_public([row], child, now.date(), writer.names, judge)[0]


def list_consents(
    session: Session,
    child: ChildRecord,
    now: datetime,
    names: PersonHandles,
    status: ConsentStatus | None = None,
    *,
    judge: Judge,
) -> list[ConsentPublic]:
    rows = in_recording_order(
        session,
        child.cpr,
        list(session.exec(select(ConsentRow).where(ConsentRow.child_cpr == child.cpr)).all()),
    )
    listed = consents_public(rows, child, now.date(), names, judge)
    return [c for c in listed if status is None or c.status == status]


def consent_row(session: Session, child: ChildRecord, consent_id: str) -> ConsentRow:
    row = session.get(ConsentRow, consent_id)
    if row is None or row.child_cpr != child.cpr:
        raise NotFound(f"no consent {consent_id!r} for this child", field="consent_id")
    return row


def get_consent(
    session: Session,
    child: ChildRecord,
    consent_id: str,
    now: datetime,
    names: PersonHandles,
    *,
    judge: Judge,
) -> ConsentPublic:
    row = consent_row(session, child, consent_id)
    return consents_public([row], child, now.date(), names, judge)[0]


def record_revocation(
    session: Session, child: ChildRecord, consent_id: str, now: datetime, writer: Writer
) -> ConsentRow:
    """Revoke: by the giver (or the young person from 15) with their own login, or
    reported by a professional whom that person told; either way at once."""
    row = consent_row(session, child, consent_id)
    if row.revoked_at is not None:
        raise Conflict("the consent is already revoked", field="consent_id")
    may_end(child, writer.person, row.giver_cpr, now.date(), "consent", writer.person_field)
    row.revoked_at, row.revoked_by_cpr = now, writer.person
    row.revocation_recorded_by = writer.recorded_by.model_dump(exclude_none=True)
    store(session, row, child.cpr, "consent", "revoked", now, writer)
    return row


def revoke_consent(
    session: Session,
    child: ChildRecord,
    consent_id: str,
    now: datetime,
    writer: Writer,
    *,
    judge: Judge,
) -> ConsentPublic:
    row = record_revocation(session, child, consent_id, now, writer)
    return consents_public([row], child, now.date(), writer.names, judge)[0]
