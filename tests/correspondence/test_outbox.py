"""The outbox row the sender path writes, and what the service says about a message."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import insert

from correspondence.outbox import OUTBOX, message_status, outbox_values, status_for_decision
from policy.errors import InvalidRequest
from tests.correspondence.outbox_world import NOW, message, outbox_db, party, queue


def values(**changes: object) -> dict[str, object]:
    header_id, body = message()
    fields: dict[str, object] = {
        "message_id": header_id,
        "decision_id": "decision-1",
        "sender_organisation_id": "bup-rn-aalborg-amb",
        "recipient_organisation_id": "851-family",
        "recipient_gln": party("851-family").gln,
        "topic": "Udredning afsluttet",
        "bundle_json": body,
        "now": NOW,
    }
    fields.update(changes)
    return outbox_values(**fields)  # type: ignore[arg-type]


def test_a_new_row_is_pending_and_due_at_once_with_the_content_and_its_digest() -> None:
    header_id, body = message()
    row = values()
    assert row["message_id"] == header_id
    assert row["status"] == "pending"
    assert row["attempts"] == 0
    assert row["next_attempt_at"] == row["created_at"] == NOW
    assert row["bundle"] == body
    assert row["bundle_sha256"] == hashlib.sha256(body.encode()).hexdigest()
    assert row["delivered_at"] is None and row["acknowledgement"] is None


def test_the_message_id_must_be_the_message_headers_id() -> None:
    """The acknowledgement refers to the MessageHeader id: one id, one meaning."""
    with pytest.raises(InvalidRequest) as refused:
        values(message_id="another-id")
    assert refused.value.field == "message_id"


def test_the_recipient_must_be_an_organisation_of_the_message() -> None:
    with pytest.raises(InvalidRequest) as refused:
        values(recipient_gln=party("810-family").gln)
    assert refused.value.field == "recipient_gln"


def test_what_is_not_a_message_bundle_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        values(bundle_json='{"resourceType": "Bundle", "type": "collection", "entry": []}')
    with pytest.raises(InvalidRequest):
        values(bundle_json="not json")


def test_the_status_of_a_written_message_names_no_content(tmp_path: Path) -> None:
    db = outbox_db(tmp_path)
    with db.begin() as conn:  # the sender path: in its own transaction
        conn.execute(insert(OUTBOX).values(**values()))
    header_id, _ = message()
    status = message_status(db, header_id)
    assert status is not None
    assert status.model_dump() == {
        "message_id": header_id,
        "decision_id": "decision-1",
        "sender_organisation_id": "bup-rn-aalborg-amb",
        "recipient_organisation_id": "851-family",
        "status": "pending",
        "attempts": 0,
        "last_error": None,
        "delivered_at": None,
        "acknowledgement": None,
    }
    assert message_status(db, "unknown") is None
    db.dispose()


def test_the_messages_of_a_decision(tmp_path: Path) -> None:
    db = outbox_db(tmp_path)
    first = queue(db, 1)
    queue(db, 2)
    assert [s.message_id for s in status_for_decision(db, "decision-1")] == [first]
    assert status_for_decision(db, "decision-9") == []
    db.dispose()
