"""Tamper evidence: altering, deleting or inserting a record breaks the chain,
and `hoi audit verify` names the first broken link."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from audit.chain import Signer, canonical_json, link_hash
from audit.verify import verify
from tests.audit.helpers import AUDITOR, DAY, decide, story
from tests.conftest import AppFactory


@pytest.fixture
def chain(make_client: AppFactory) -> tuple[TestClient, Engine]:
    client = make_client(day=DAY)
    for n in range(5):
        decide(client, story(n % 3), id=f"cw-851-family-{1 + n % 3}")
    db: Engine = client.app.state.services.db  # type: ignore[attr-defined]
    return client, db


def _verify(client: TestClient) -> dict[str, Any]:
    response = client.get("/v1/audit/verify", headers=AUDITOR)
    assert response.status_code == 200
    report: dict[str, Any] = response.json()
    return report


def _row(db: Engine, seq: int) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(text("SELECT * FROM audit_record WHERE seq = :s"), {"s": seq})
        return dict(row.mappings().one())


def test_an_untouched_chain_verifies(chain: tuple[TestClient, Engine]) -> None:
    client, _ = chain
    report = _verify(client)
    assert report["ok"] is True
    assert (report["records_checked"], report["first_seq"], report["last_seq"]) == (5, 1, 5)


def test_altering_a_record_is_detected(chain: tuple[TestClient, Engine]) -> None:
    client, db = chain
    row = _row(db, 3)
    body = json.loads(row["body"])
    body["requester"]["role"] = "gp"  # pretend someone else looked
    with db.begin() as conn:
        conn.execute(
            text("UPDATE audit_record SET body = :b WHERE seq = 3"), {"b": canonical_json(body)}
        )
    report = _verify(client)
    assert report["ok"] is False
    assert report["first_broken"]["seq"] == 3
    assert "altered" in report["first_broken"]["problem"]


def test_altering_a_record_and_its_hash_breaks_the_next_link(
    chain: tuple[TestClient, Engine],
) -> None:
    client, db = chain
    row = _row(db, 2)
    body = json.loads(row["body"])
    body["purpose"] = "coordination"
    new_body = canonical_json(body)
    with db.begin() as conn:
        conn.execute(
            text("UPDATE audit_record SET body = :b, hash = :h WHERE seq = 2"),
            {"b": new_body, "h": link_hash(2, row["prev_hash"], new_body)},
        )
    report = _verify(client)
    assert report["first_broken"]["seq"] == 3
    assert "prev_hash" in report["first_broken"]["problem"]


def test_altering_an_indexed_column_is_detected(chain: tuple[TestClient, Engine]) -> None:
    """Queries read the columns; hiding a lookup from a child's log by moving
    it to another child must not go unnoticed."""
    client, db = chain
    with db.begin() as conn:
        conn.execute(text("UPDATE audit_record SET child_cpr = '6101014000' WHERE seq = 4"))
    report = _verify(client)
    assert report["first_broken"] == {
        "seq": 4,
        "problem": "the column child_cpr differs from the hashed record",
    }


def test_deleting_a_record_is_detected(chain: tuple[TestClient, Engine]) -> None:
    client, db = chain
    with db.begin() as conn:
        conn.execute(text("DELETE FROM audit_record WHERE seq = 2"))
    report = _verify(client)
    assert report["first_broken"] == {"seq": 2, "problem": "record 2 is missing"}


def test_deleting_the_last_record_is_detected(chain: tuple[TestClient, Engine]) -> None:
    client, db = chain
    with db.begin() as conn:
        conn.execute(text("DELETE FROM audit_record WHERE seq = 5"))
    report = _verify(client)
    assert report["ok"] is False
    assert report["first_broken"]["seq"] == 5
    assert "missing from the end" in report["first_broken"]["problem"]


def test_inserting_a_record_in_the_middle_is_detected(chain: tuple[TestClient, Engine]) -> None:
    client, db = chain
    row = _row(db, 3)
    with db.begin() as conn:
        # A forged copy of record 3 a second later: same seq, another time.
        conn.execute(
            text(
                "INSERT INTO audit_record (seq, recorded_at, kind, decision_id, child_cpr, "
                "requester_id, organisation_id, outcome, override, body, prev_hash, hash) "
                "VALUES (3, '2099-01-01 00:00:00.000000', :kind, 'forged', :child, 'someone', "
                ":org, 'permit', 0, :body, :prev, :hash)"
            ),
            {
                "kind": row["kind"],
                "child": row["child_cpr"],
                "org": row["organisation_id"],
                "body": row["body"],
                "prev": row["prev_hash"],
                "hash": row["hash"],
            },
        )
    report = _verify(client)
    assert report["first_broken"] == {"seq": 3, "problem": "a second record claims seq 3"}


def test_appending_a_well_formed_record_without_the_key_is_detected(
    chain: tuple[TestClient, Engine],
) -> None:
    """Someone who knows the hash scheme appends a perfectly linked record; the
    signed chain head (HMAC with the service's key) gives it away."""
    client, db = chain
    last = _row(db, 5)
    body = json.loads(last["body"])
    body["decision_id"] = "forged-decision"
    forged = canonical_json(body)
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_record (seq, recorded_at, kind, decision_id, child_cpr, "
                "requester_id, organisation_id, outcome, override, body, prev_hash, hash) "
                "SELECT 6, recorded_at, kind, 'forged-decision', child_cpr, requester_id, "
                "organisation_id, outcome, override, :body, hash, :hash "
                "FROM audit_record WHERE seq = 5"
            ),
            {"body": forged, "hash": link_hash(6, last["hash"], forged)},
        )
        conn.execute(
            text("UPDATE audit_chain_head SET seq = 6, hash = :h"),
            {"h": link_hash(6, last["hash"], forged)},
        )
    report = _verify(client)
    assert report["first_broken"]["seq"] == 6
    assert "not signed" in report["first_broken"]["problem"]


def test_verify_needs_the_services_key(chain: tuple[TestClient, Engine]) -> None:
    _, db = chain
    assert verify(db, Signer("another-key-entirely")).ok is False


def test_canonical_json_is_rfc8785(chain: tuple[TestClient, Engine]) -> None:
    """Other languages can recompute our hashes with any RFC 8785 encoder."""
    _, db = chain
    for seq in range(1, 6):
        body = _row(db, seq)["body"]
        assert rfc8785.dumps(json.loads(body)).decode("utf-8") == body
    sample: dict[str, Any] = {"b": ["æøå", "\n\t\u0001", 10**15], "a": {"z": None, "y": True}}
    assert canonical_json(sample) == rfc8785.dumps(sample).decode("utf-8")
    with pytest.raises(ValueError):
        canonical_json({"duration": 1.5})


_SAFE = 2**53 - 1  # RFC 8785's integer domain (IEEE 754 doubles)
_ASCII_KEYS = st.text(st.characters(max_codepoint=127))
"""Record keys are ASCII field names (outside ASCII, code point order and RFC 8785's
UTF-16 order can differ)."""
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-_SAFE, max_value=_SAFE)
    | st.text(),  # any code point but lone surrogates, control characters included
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_ASCII_KEYS, inner, max_size=5),
    max_leaves=30,
)


@given(_JSON_VALUES)
def test_canonical_json_equals_the_reference_encoder(value: Any) -> None:
    """The fast encoder gives the reference JCS bytes for every value records may hold."""
    assert canonical_json(value) == rfc8785.dumps(value).decode("utf-8")


def test_canonical_json_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError):
        canonical_json({1: "a non-string key"}, check=False)
    with pytest.raises(ValueError):
        canonical_json({"a": object()})
