"""Recording and reading consents, objections and blocks."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Session, col, select

from policy.catalogue import catalogue
from policy.cpr import age_on
from policy.errors import Conflict, InvalidRequest, NotEntitled, NotFound
from policy.facts import (
    BlockFact,
    BlockTarget,
    ChildRecord,
    ConsentFact,
    ObjectionFact,
    RegistryState,
)
from registry.models import (
    BlockCreate,
    BlockPublic,
    ConsentCreate,
    ConsentPublic,
    ConsentStatus,
    ObjectionCreate,
    ObjectionPublic,
    Recipient,
)
from registry.tables import BlockRow, ConsentRow, ObjectionRow

GDPR_REGIMES = {"gdpr-6-1-a", "gdpr-9-2-a", "gdpr"}


def _capacity(child: ChildRecord, person: str, on: date) -> str:
    """Whether `person` could decide for the child on that day, and as what."""
    self_age = catalogue().consent.self_consent_age
    child_decides = age_on(child.birth_date, on) >= self_age
    if child_decides and person == child.cpr:
        return "child"
    if not child_decides and person in child.custody_holders:
        return "custody_holder"
    if child_decides:
        raise NotEntitled(
            f"the young person is {self_age} or older and decides alone; "
            "only the young person may give or refuse this",
            field="given_by",
        )
    raise NotEntitled(
        f"the child is under {self_age}; only a custody holder may give or refuse this",
        field="given_by",
    )


def _check_regime(regime: str) -> None:
    if regime in GDPR_REGIMES:
        raise InvalidRequest(
            "GDPR consent is not a basis this service accepts: public bodies rest on law "
            "(Art. 6(1)(e) and 9(2)(h)). Record the sector consent that lifts the duty of "
            f"confidentiality instead, one of: {', '.join(sorted(catalogue().regimes))}",
            field="regime",
        )
    if regime not in catalogue().regimes:
        raise InvalidRequest(
            f"unknown consent regime {regime!r}; known: {', '.join(sorted(catalogue().regimes))}",
            field="regime",
        )


def _consent_status(row: ConsentRow, now: datetime) -> ConsentStatus:
    if row.revoked_at is not None:
        return "revoked"
    if now.date() < row.valid_from:
        return "pending"
    if now.date() > row.valid_until:
        return "expired"
    return "active"


def _consent_public(row: ConsentRow, now: datetime) -> ConsentPublic:
    return ConsentPublic(
        id=row.id,
        child_cpr=row.child_cpr,
        regime=row.regime,
        given_by=row.giver_cpr,
        capacity="child" if row.giver_capacity == "child" else "custody_holder",
        categories=list(row.categories),
        recipient=Recipient(
            organisation_type=row.recipient_organisation_type,
            organisation_id=row.recipient_organisation_id,
        ),
        purposes=list(row.purposes),
        form=row.form,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        recorded_at=row.recorded_at,
        revoked_at=row.revoked_at,
        status=_consent_status(row, now),
    )


def create_consent(
    session: Session, child: ChildRecord, body: ConsentCreate, now: datetime
) -> ConsentPublic:
    _check_regime(body.regime)
    regime = catalogue().regimes[body.regime]
    if body.form not in regime.forms:
        raise InvalidRequest(
            f"a {body.regime} consent must be {' or '.join(regime.forms)}", field="form"
        )
    row = ConsentRow(
        id=f"consent-{uuid.uuid4()}",
        child_cpr=child.cpr,
        regime=body.regime,
        giver_cpr=body.given_by,
        giver_capacity=_capacity(child, body.given_by, body.valid_from),
        categories=list(dict.fromkeys(body.categories)),
        recipient_organisation_type=body.recipient.organisation_type,
        recipient_organisation_id=body.recipient.organisation_id,
        purposes=list(dict.fromkeys(body.purposes)),
        form=body.form,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        recorded_at=now,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return _consent_public(row, now)


def list_consents(session: Session, cpr: str, now: datetime) -> list[ConsentPublic]:
    rows = session.exec(
        select(ConsentRow).where(ConsentRow.child_cpr == cpr).order_by(col(ConsentRow.recorded_at))
    ).all()
    return [_consent_public(r, now) for r in rows]


def revoke_consent(session: Session, cpr: str, consent_id: str, now: datetime) -> ConsentPublic:
    row = session.get(ConsentRow, consent_id)
    if row is None or row.child_cpr != cpr:
        raise NotFound(f"no consent {consent_id!r} for this child", field="consent_id")
    if row.revoked_at is not None:
        raise Conflict("the consent is already revoked", field="consent_id")
    row.revoked_at = now
    session.add(row)
    session.commit()
    session.refresh(row)
    return _consent_public(row, now)


def _recipient_or_none(org_type: str | None, org_id: str | None) -> Recipient | None:
    if org_type is None and org_id is None:
        return None
    return Recipient(organisation_type=org_type, organisation_id=org_id)


def _objection_public(row: ObjectionRow) -> ObjectionPublic:
    return ObjectionPublic(
        id=row.id,
        child_cpr=row.child_cpr,
        given_by=row.person_cpr,
        categories=list(row.categories),
        recipient=_recipient_or_none(
            row.recipient_organisation_type, row.recipient_organisation_id
        ),
        recorded_at=row.recorded_at,
        withdrawn_at=row.withdrawn_at,
    )


def create_objection(
    session: Session, child: ChildRecord, body: ObjectionCreate, now: datetime
) -> ObjectionPublic:
    _capacity(child, body.given_by, now.date())
    row = ObjectionRow(
        id=f"objection-{uuid.uuid4()}",
        child_cpr=child.cpr,
        person_cpr=body.given_by,
        categories=list(dict.fromkeys(body.categories)),
        recipient_organisation_type=body.recipient.organisation_type if body.recipient else None,
        recipient_organisation_id=body.recipient.organisation_id if body.recipient else None,
        recorded_at=now,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return _objection_public(row)


def list_objections(session: Session, cpr: str) -> list[ObjectionPublic]:
    rows = session.exec(
        select(ObjectionRow)
        .where(ObjectionRow.child_cpr == cpr)
        .order_by(col(ObjectionRow.recorded_at))
    ).all()
    return [_objection_public(r) for r in rows]


def _block_public(row: BlockRow) -> BlockPublic:
    return BlockPublic.model_validate(row, from_attributes=True)


def create_block(session: Session, cpr: str, body: BlockCreate, now: datetime) -> BlockPublic:
    row = BlockRow(
        id=f"block-{uuid.uuid4()}",
        child_cpr=cpr,
        target_kind=body.target_kind,
        target_id=body.target_id,
        include_sub_units=body.include_sub_units,
        categories=list(dict.fromkeys(body.categories)),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        recorded_at=now,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return _block_public(row)


def list_blocks(session: Session, cpr: str) -> list[BlockPublic]:
    rows = session.exec(
        select(BlockRow).where(BlockRow.child_cpr == cpr).order_by(col(BlockRow.recorded_at))
    ).all()
    return [_block_public(r) for r in rows]


def registry_state(session: Session, cpr: str) -> RegistryState:
    """Everything recorded for the child, as the policy reads it."""
    consents = session.exec(select(ConsentRow).where(ConsentRow.child_cpr == cpr)).all()
    objections = session.exec(select(ObjectionRow).where(ObjectionRow.child_cpr == cpr)).all()
    blocks = session.exec(select(BlockRow).where(BlockRow.child_cpr == cpr)).all()
    return RegistryState(
        consents=[
            ConsentFact(
                id=c.id,
                regime=c.regime,
                giver=c.giver_cpr,
                categories=list(c.categories),
                recipient={
                    "organisation_type": c.recipient_organisation_type,
                    "organisation_id": c.recipient_organisation_id,
                },
                purposes=list(c.purposes),
                form=c.form,
                valid_from=c.valid_from,
                valid_until=c.valid_until,
                revoked_at=c.revoked_at.isoformat() if c.revoked_at else None,
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
                withdrawn_at=o.withdrawn_at.isoformat() if o.withdrawn_at else None,
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
                lifted_at=b.lifted_at.isoformat() if b.lifted_at else None,
            )
            for b in blocks
        ],
    )
