"""The transactional outbox: messages wait here until the network acknowledges them.

The sender path writes the row (`outbox_values`) in the same database transaction
as the audit record of the decision that let the message go, so a message is never
sent without its record, and a recorded message is never lost. The relay
(correspondence/relay.py) claims due rows with a lease, posts them with the
message id as the idempotency key, and records the acknowledgement. Once a message
is delivered its content (`bundle`) is cleared: the service keeps only the fact of
the delivery and the acknowledgement.

The message id is the MessageHeader id: it is what a MedCom acknowledgement refers to
(`response.identifier`), and it stays the same on every retry.

Times are stored in UTC (SQLite keeps no zone; comparisons are on UTC text).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, Row, and_, select, update

from correspondence.acknowledgement import Acknowledgement
from correspondence.tables import OUTBOX, OutboxRow
from db.times import as_utc
from policy.errors import InvalidRequest

__all__ = [
    "OUTBOX",
    "Claimed",
    "MessageStatus",
    "OutboxRow",
    "Status",
    "claim",
    "due_ids",
    "mark_delivered",
    "mark_failed",
    "mark_retry",
    "message_status",
    "outbox_values",
    "status_for_decision",
]

Status = Literal["pending", "delivered", "failed"]


def outbox_values(
    *,
    message_id: str,
    decision_id: str,
    sender_organisation_id: str,
    recipient_organisation_id: str,
    recipient_gln: str,
    topic: str | None,
    bundle_json: str,
    now: datetime,
) -> dict[str, Any]:
    """The outbox row to INSERT (into `OUTBOX`), pending and due at once.

    The caller inserts it in its own transaction (beside the audit record). The
    message id must be the Bundle's MessageHeader id, and the message must be
    addressed to `recipient_gln`; anything else is refused here rather than at the
    network."""
    try:
        message = json.loads(bundle_json)
    except ValueError as exc:
        raise InvalidRequest("the message is not JSON", field="bundle_json") from exc
    entries = message.get("entry") if isinstance(message, dict) else None
    header = entries[0].get("resource", {}) if isinstance(entries, list) and entries else {}
    if message.get("type") != "message" or header.get("resourceType") != "MessageHeader":
        raise InvalidRequest("the message is not a FHIR message Bundle", field="bundle_json")
    if header.get("id") != message_id:
        raise InvalidRequest(
            "the message id must be the Bundle's MessageHeader id", field="message_id"
        )
    glns = {
        identifier.get("value")
        for entry in entries or []
        if entry.get("resource", {}).get("resourceType") == "Organization"
        for identifier in entry["resource"].get("identifier", [])
    }
    if recipient_gln not in glns:
        raise InvalidRequest(
            "the message names no organisation with that GLN", field="recipient_gln"
        )
    moment = as_utc(now)
    return {
        "message_id": message_id,
        "decision_id": decision_id,
        "created_at": moment,
        "sender_organisation_id": sender_organisation_id,
        "recipient_organisation_id": recipient_organisation_id,
        "recipient_gln": recipient_gln,
        "topic": topic,
        "bundle": bundle_json,
        "bundle_sha256": hashlib.sha256(bundle_json.encode("utf-8")).hexdigest(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": moment,
        "last_error": None,
        "delivered_at": None,
        "acknowledgement": None,
    }


class MessageStatus(BaseModel):
    """Where a message stands; never its content."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    decision_id: str
    sender_organisation_id: str
    recipient_organisation_id: str
    status: Status
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    acknowledgement: Acknowledgement | None


_STATUS_COLUMNS = (
    OUTBOX.c.message_id,
    OUTBOX.c.decision_id,
    OUTBOX.c.sender_organisation_id,
    OUTBOX.c.recipient_organisation_id,
    OUTBOX.c.status,
    OUTBOX.c.attempts,
    OUTBOX.c.last_error,
    OUTBOX.c.delivered_at,
    OUTBOX.c.acknowledgement,
)


def _status(row: Row[Any]) -> MessageStatus:
    ack = row.acknowledgement
    return MessageStatus(
        message_id=row.message_id,
        decision_id=row.decision_id,
        sender_organisation_id=row.sender_organisation_id,
        recipient_organisation_id=row.recipient_organisation_id,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        delivered_at=as_utc(row.delivered_at) if row.delivered_at is not None else None,
        acknowledgement=Acknowledgement.model_validate_json(ack) if ack else None,
    )


def message_status(db: Engine, message_id: str) -> MessageStatus | None:
    """The message's delivery status, or None for an unknown id."""
    with db.connect() as conn:
        row = conn.execute(
            select(*_STATUS_COLUMNS).where(OUTBOX.c.message_id == message_id)
        ).first()
    return _status(row) if row is not None else None


def status_for_decision(db: Engine, decision_id: str) -> list[MessageStatus]:
    """Every message the decision let go, oldest first."""
    with db.connect() as conn:
        rows = conn.execute(
            select(*_STATUS_COLUMNS)
            .where(OUTBOX.c.decision_id == decision_id)
            .order_by(OUTBOX.c.created_at, OUTBOX.c.message_id)
        ).all()
    return [_status(r) for r in rows]


# The relay's side.


class Claimed(BaseModel):
    """A row the relay holds under a lease: what it needs to post it."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    recipient_gln: str
    bundle: str
    attempts: int
    """Attempts so far, this one included."""


def due_ids(db: Engine, now: datetime, limit: int) -> list[str]:
    """Pending messages whose time has come, the longest waiting first."""
    with db.connect() as conn:
        return list(
            conn.execute(
                select(OUTBOX.c.message_id)
                .where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= as_utc(now))
                .order_by(OUTBOX.c.next_attempt_at)
                .limit(limit)
            ).scalars()
        )


def claim(db: Engine, message_id: str, now: datetime, lease: timedelta) -> Claimed | None:
    """Take the message for one attempt: move its next attempt past the lease and
    count the attempt, only if it is still pending and due. Of several relays
    racing for it, one changes the row; the others get None. A relay that dies
    holding it leaves it to be claimed again when the lease runs out."""
    moment = as_utc(now)
    with db.begin() as conn:
        taken = conn.execute(
            update(OUTBOX)
            .where(
                and_(
                    OUTBOX.c.message_id == message_id,
                    OUTBOX.c.status == "pending",
                    OUTBOX.c.next_attempt_at <= moment,
                )
            )
            .values(next_attempt_at=moment + lease, attempts=OUTBOX.c.attempts + 1)
        )
        if taken.rowcount != 1:
            return None
        row = conn.execute(
            select(OUTBOX.c.recipient_gln, OUTBOX.c.bundle, OUTBOX.c.attempts).where(
                OUTBOX.c.message_id == message_id
            )
        ).one()
    if row.bundle is None:  # cannot happen for a pending row; never post nothing
        return None
    return Claimed(
        message_id=message_id,
        recipient_gln=row.recipient_gln,
        bundle=row.bundle,
        attempts=row.attempts,
    )


def mark_delivered(db: Engine, message_id: str, ack: Acknowledgement, now: datetime) -> bool:
    """Delivered: keep the acknowledgement, clear the content."""
    with db.begin() as conn:
        done = conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.message_id == message_id, OUTBOX.c.status == "pending")
            .values(
                status="delivered",
                delivered_at=as_utc(now),
                acknowledgement=ack.model_dump_json(),
                bundle=None,
                last_error=None,
            )
        )
    return bool(done.rowcount == 1)


def mark_retry(db: Engine, message_id: str, error: str, at: datetime) -> bool:
    """Not delivered this time: try again at `at`."""
    with db.begin() as conn:
        done = conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.message_id == message_id, OUTBOX.c.status == "pending")
            .values(next_attempt_at=as_utc(at), last_error=error[:200])
        )
    return bool(done.rowcount == 1)


def mark_failed(
    db: Engine, message_id: str, error: str, ack: Acknowledgement | None = None
) -> bool:
    """Given up (a fatal acknowledgement, or the attempts used up). The content is
    kept for whoever follows the failure up."""
    values: dict[str, Any] = {"status": "failed", "last_error": error[:200]}
    if ack is not None:
        values["acknowledgement"] = ack.model_dump_json()
    with db.begin() as conn:
        done = conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.message_id == message_id, OUTBOX.c.status == "pending")
            .values(**values)
        )
    return bool(done.rowcount == 1)
