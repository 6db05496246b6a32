"""A sandbox message network: per-recipient inboxes that acknowledge as MedCom does.

Mounted on the sandbox server at `/network`:

- `POST /network/inboxes/{gln}/messages` takes a CareCommunication message Bundle
  for the organisation with that GLN. It checks that the message is addressed to
  that inbox (the MessageHeader's primary destination: the receiver Organization's
  GLN and the endpoint's SOR id), stores it, files it on the child's open case when
  the recipient is a municipal unit where the child (the Patient's CPR number) has
  one ("automatisk journalisering på sag"), and answers with a MedCom
  Acknowledgement (correspondence/acknowledgement.py): 201 and `ok` for a new
  message; 200 and the very same acknowledgement for a message it already has
  (the `Idempotency-Key`, which must be the MessageHeader id); 422 and
  `fatal-error` for a message addressed elsewhere, of another kind, or an id
  delivered before with other content; 404 and `fatal-error` for an unknown inbox.
- `GET /network/inboxes/{gln}/messages` lists an inbox (id, received_at, sender,
  topic, filed_on_case, attachments, deliveries: how often it was posted);
  `GET /network/inboxes/{gln}/messages/{id}` returns one message Bundle.

Messages are kept in a SQLite file of the network's own (given at construction;
in memory when none), so they outlive the service that sent them.

For tests: `control` (a SourceControl) fails the next N calls with 503 before
anything is stored, or slows every call; `fail_after_store_next` stores the next N
messages and then answers 500, as if the answer were lost on the way back.

Nothing is logged: messages carry CPR numbers.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from correspondence.acknowledgement import AckCode, Filing, Issue, build_acknowledgement
from correspondence.medcom import EVENT_CODE, GLN_SYSTEM, SOR_ENDPOINT, SOR_SYSTEM
from correspondence.medcom import Organisation as MessageParty
from facts.organisations import Organisation
from policy.cpr import IDENTIFIER_SYSTEM as CPR_SYSTEM
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, make_app

FHIR_JSON = "application/fhir+json"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    message_id TEXT PRIMARY KEY,
    inbox_gln TEXT NOT NULL,
    received_at TEXT NOT NULL,
    sender_name TEXT,
    sender_gln TEXT,
    topic TEXT,
    filed_on_case TEXT,
    attachments INTEGER NOT NULL,
    deliveries INTEGER NOT NULL,
    bundle_sha256 TEXT NOT NULL,
    bundle TEXT NOT NULL,
    acknowledgement TEXT NOT NULL
)
"""


class _Refused(Exception):
    def __init__(self, status: int, issue: Issue, header_id: str | None = None) -> None:
        super().__init__(issue.text)
        self.status, self.issue, self.header_id = status, issue, header_id


def _party(resource: dict[str, Any] | None) -> MessageParty | None:
    if not resource:
        return None
    ids = {i.get("system"): i.get("value") for i in resource.get("identifier", [])}
    try:
        return MessageParty(
            sor_id=ids.get(SOR_SYSTEM) or "", gln=ids.get(GLN_SYSTEM) or "", name=resource["name"]
        )
    except (ValidationError, KeyError):
        return None


class MessageNetwork:
    """The network's inboxes, one per organisation of the register that has a GLN."""

    def __init__(
        self,
        population: Population,
        organisations: dict[str, Organisation],
        path: Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.population = population
        self.organisations = organisations
        self.by_gln = {o.gln: o for o in organisations.values() if o.gln}
        self.path = path
        self.clock = clock or (lambda: datetime.now(UTC))
        self.control = SourceControl()
        self.fail_after_store_next = 0
        self._lock = threading.Lock()
        self._memory: sqlite3.Connection | None = None
        self.source = self._source()

    # Storage.

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            if self._memory is None:
                self._memory = sqlite3.connect(":memory:", check_same_thread=False)
                self._memory.execute(_SCHEMA)
            return self._memory
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(_SCHEMA)
        return conn

    def _run(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            conn = self._connect()
            try:
                with conn:  # one transaction
                    return work(conn)
            finally:
                if conn is not self._memory:
                    conn.close()

    def messages(self, gln: str | None = None) -> list[dict[str, Any]]:
        """The stored messages (of one inbox), in the order received."""

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            conn.row_factory = sqlite3.Row
            query = (
                "SELECT message_id, inbox_gln, received_at, sender_name, sender_gln, topic, "
                "filed_on_case, attachments, deliveries FROM message"
            )
            rows = (
                conn.execute(query + " WHERE inbox_gln = ? ORDER BY rowid", (gln,))
                if gln is not None
                else conn.execute(query + " ORDER BY rowid")
            )
            return [
                {
                    "id": r["message_id"],
                    "inbox": r["inbox_gln"],
                    "received_at": r["received_at"],
                    "sender": {"name": r["sender_name"], "gln": r["sender_gln"]},
                    "topic": r["topic"],
                    "filed_on_case": r["filed_on_case"],
                    "attachments": r["attachments"],
                    "deliveries": r["deliveries"],
                }
                for r in rows
            ]

        result: list[dict[str, Any]] = self._run(read)
        return result

    def duplicates(self) -> int:
        """Posts of a message the network already had (answered, not delivered again)."""
        found = self._run(
            lambda c: c.execute("SELECT COALESCE(SUM(deliveries - 1), 0) FROM message").fetchone()
        )
        return int(found[0])

    def bundle(self, gln: str, message_id: str) -> str | None:
        found = self._run(
            lambda c: c.execute(
                "SELECT bundle FROM message WHERE inbox_gln = ? AND message_id = ?",
                (gln, message_id),
            ).fetchone()
        )
        return str(found[0]) if found else None

    # Receiving.

    def _ack(
        self,
        *,
        acknowledges: str,
        code: AckCode,
        message: dict[str, Any] | None,
        issue: Issue | None = None,
        filing: Filing | None = None,
        filed_on_case: str | None = None,
    ) -> str:
        resources = self._resources(message) if message else {}
        header = resources.get(("MessageHeader", None), {})
        receiver_ref = ((header.get("destination") or [{}])[0].get("receiver") or {}).get(
            "reference", ""
        )
        sender_ref = (header.get("sender") or {}).get("reference", "")
        bundle = build_acknowledgement(
            acknowledges=acknowledges,
            code=code,
            sender=_party(self._resolve(resources, receiver_ref)),
            receiver=_party(self._resolve(resources, sender_ref)),
            new_id=uuid.uuid4,
            now=self.clock,
            issue=issue,
            filing=filing,
            filed_on_case=filed_on_case,
            source_endpoint="urn:hoi:sandbox-network",
        )
        return json.dumps(bundle.model_dump(mode="json", exclude_none=True))

    @staticmethod
    def _resources(message: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
        found: dict[tuple[str, str | None], dict[str, Any]] = {}
        for index, entry in enumerate(message.get("entry") or []):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                continue
            found[(str(resource.get("resourceType")), str(resource.get("id")))] = resource
            if index == 0 and resource.get("resourceType") == "MessageHeader":
                found[("MessageHeader", None)] = resource
        return found

    @staticmethod
    def _resolve(
        resources: dict[tuple[str, str | None], dict[str, Any]], reference: str
    ) -> dict[str, Any] | None:
        kind, _, ident = reference.partition("/")
        return resources.get((kind, ident)) if ident else None

    def _check(self, gln: str, message: dict[str, Any], key: str | None) -> dict[str, Any]:
        """The checks a MedCom receiver makes before it takes a message; returns the
        addressee's Organization resource."""
        resources = self._resources(message)
        header = resources.get(("MessageHeader", None))
        if message.get("resourceType") != "Bundle" or message.get("type") != "message":
            raise _Refused(422, Issue(code="MSG_BAD_FORMAT", text="not a message Bundle"))
        if header is None or not header.get("id"):
            raise _Refused(
                422, Issue(code="MSG_BAD_FORMAT", text="the first entry is not a MessageHeader")
            )
        header_id = str(header["id"])
        if header.get("eventCoding", {}).get("code") != EVENT_CODE:
            raise _Refused(
                422,
                Issue(
                    code="MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE",
                    text="this inbox takes CareCommunication messages only",
                ),
                header_id,
            )
        if key is not None and key != header_id:
            raise _Refused(
                422,
                Issue(
                    code="MSG_INVALID_ID",
                    text="the Idempotency-Key is not the MessageHeader id",
                    issue_type="value",
                ),
                header_id,
            )
        try:
            Bundle.model_validate(message)
        except (ValidationError, ValueError) as exc:
            raise _Refused(
                422,
                Issue(
                    code="MSG_BAD_SYNTAX",
                    text="the Bundle does not validate",
                    issue_type="structure",
                ),
                header_id,
            ) from exc
        addressee = self.by_gln.get(gln)
        if addressee is None:
            raise _Refused(
                404,
                Issue(
                    code="MSG_Receiver_Identifier_UNKNOWN",
                    text="no inbox has this GLN",
                    issue_type="not-found",
                ),
                header_id,
            )
        destination = (header.get("destination") or [{}])[0]
        receiver = self._resolve(
            resources, (destination.get("receiver") or {}).get("reference", "")
        )
        party = _party(receiver)
        if receiver is None or party is None:
            raise _Refused(
                422,
                Issue(
                    code="MSG_Receiver_Identifier_MISSING",
                    text="the message names no receiver with a SOR id and a GLN",
                    issue_type="required",
                ),
                header_id,
            )
        if (
            party.gln != gln
            or destination.get("endpoint") != f"{SOR_ENDPOINT}{party.sor_id}"
            or (addressee.sor_id is not None and addressee.sor_id != party.sor_id)
        ):
            raise _Refused(
                422,
                Issue(
                    code="MSG_Receiver_Identifier_UNKNOWN",
                    text="the message is addressed to another organisation than this inbox",
                    issue_type="value",
                ),
                header_id,
            )
        return receiver

    def _open_case(self, addressee: Organisation, message: dict[str, Any]) -> str | None:
        """The child's open case at the municipal unit (or a unit under it), if any."""
        cprs = [
            identifier.get("value")
            for resource in self._resources(message).values()
            if resource.get("resourceType") == "Patient"
            for identifier in resource.get("identifier", [])
            if identifier.get("system") == CPR_SYSTEM
        ]
        child = self.population.children.get(cprs[0]) if len(set(cprs)) == 1 else None
        for case in child.cases if child else []:
            unit = self.organisations.get(case.unit)
            at_unit = case.unit == addressee.id or (
                unit is not None and addressee.id in unit.part_of
            )
            if case.open and at_unit:
                return case.id
        return None

    def receive(self, gln: str, body: bytes, key: str | None) -> tuple[int, str]:
        """Take one posted message; the HTTP status and the acknowledgement's JSON."""
        try:
            message = json.loads(body)
        except ValueError:
            return 400, json.dumps({"detail": "the body is not JSON"})
        if not isinstance(message, dict):
            return 400, json.dumps({"detail": "the body is not a JSON object"})
        try:
            self._check(gln, message, key)
        except _Refused as refused:
            if refused.header_id is None:  # nothing to acknowledge: not a message at all
                return 400, json.dumps({"detail": refused.issue.text})
            return refused.status, self._ack(
                acknowledges=refused.header_id,
                code="fatal-error",
                message=message,
                issue=refused.issue,
            )
        resources = self._resources(message)
        header = resources[("MessageHeader", None)]
        message_id = str(header["id"])
        digest = hashlib.sha256(body).hexdigest()
        addressee = self.by_gln[gln]
        filed_on_case = (
            self._open_case(addressee, message) if addressee.type == "municipality" else None
        )
        filing: Filing | None = (
            None
            if addressee.type != "municipality"
            else ("filed-on-case" if filed_on_case else "not-filed")
        )
        fresh_ack = self._ack(
            acknowledges=message_id,
            code="ok",
            message=message,
            filing=filing,
            filed_on_case=filed_on_case,
        )
        communication = next(
            (r for (kind, _), r in resources.items() if kind == "Communication"), {}
        )
        category = ((communication.get("category") or [{}])[0].get("coding") or [{}])[0]
        sender = _party(self._resolve(resources, (header.get("sender") or {}).get("reference", "")))

        def store(conn: sqlite3.Connection) -> tuple[int, str]:
            found = conn.execute(
                "SELECT bundle_sha256, acknowledgement, inbox_gln FROM message "
                "WHERE message_id = ?",
                (message_id,),
            ).fetchone()
            if found is not None:
                if found[0] != digest or found[2] != gln:
                    return 422, self._ack(
                        acknowledges=message_id,
                        code="fatal-error",
                        message=message,
                        issue=Issue(
                            code="MSG_DUPLICATE_ID",
                            text="this message id was delivered before with other content",
                            issue_type="duplicate",
                        ),
                    )
                conn.execute(
                    "UPDATE message SET deliveries = deliveries + 1 WHERE message_id = ?",
                    (message_id,),
                )
                return 200, str(found[1])
            conn.execute(
                "INSERT INTO message VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                (
                    message_id,
                    gln,
                    self.clock().isoformat(),
                    sender.name if sender else None,
                    sender.gln if sender else None,
                    (communication.get("topic") or {}).get("text") or category.get("code"),
                    filed_on_case,
                    sum(1 for p in communication.get("payload", []) if "contentAttachment" in p),
                    digest,
                    body.decode("utf-8"),
                    fresh_ack,
                ),
            )
            return 201, fresh_ack

        result: tuple[int, str] = self._run(store)
        return result

    def _take_lost_answer(self) -> bool:
        with self._lock:
            if self.fail_after_store_next > 0:
                self.fail_after_store_next -= 1
                return True
            return False

    # The app.

    def _source(self) -> SandboxSource:
        router = APIRouter()

        @router.post("/inboxes/{gln}/messages")
        async def post_message(gln: str, request: Request) -> Response:
            body = await request.body()
            status, answer = self.receive(gln, body, request.headers.get("idempotency-key"))
            if status in (200, 201) and self._take_lost_answer():
                return JSONResponse({"detail": "stored, but the answer is lost"}, status_code=500)
            media = FHIR_JSON if answer.startswith('{"resourceType"') else "application/json"
            return Response(answer, status_code=status, media_type=media)

        @router.get("/inboxes/{gln}/messages")
        async def list_messages(gln: str) -> dict[str, Any]:
            return {"inbox": gln, "messages": self.messages(gln)}

        @router.get("/inboxes/{gln}/messages/{message_id}")
        async def get_message(gln: str, message_id: str) -> Response:
            found = self.bundle(gln, message_id)
            if found is None:
                return JSONResponse({"detail": "no such message in this inbox"}, status_code=404)
            return Response(found, media_type=FHIR_JSON)

        return make_app("network", "message network", self.control, router)
