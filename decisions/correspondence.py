"""Send a message about a child: resolve the recipient, decide, audit, queue.

Sending is a disclosure, so the policy decides it before anything is built or
queued, on the same audited path as a lookup:

1. the recipient is the organisation the `write_to` handle names in the
   organisation register (an unknown handle is a 422 naming `write_to`); the
   attachments are checked by content (422 naming the attachment);
2. the policy decides whether this sender may disclose this kind of message about
   this child to this recipient (`DecisionPoint.decide_send`);
3. a refusal is audited (a decision record naming the recipient and the topic,
   never the text) and raised as `SendRefused` with the decision's reasons;
4. a permit builds the MedCom CareCommunication Bundle and commits, in ONE
   transaction, the decision record, the disclosure record (what left: a
   message) and the outbox row the relay delivers from. Either all three are
   durable or none is; the answer is sent only after the commit.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from audit.calls import start_recording
from audit.log import AuditLog, decision_record, disclosure_record
from audit.models import CorrespondenceRecord
from correspondence.attachments import accept_attachments
from correspondence.medcom import (
    Author,
    Child,
    Draft,
    Organisation,
    Thread,
    build_message,
    message_json,
    thread_of,
)
from correspondence.outbox import OUTBOX, outbox_values
from correspondence.requests import MessageBody, SentMessage
from decisions.service import Origin, count_decision
from engine.pdp import DecisionPoint
from facts.addressing import Recipient, recipient_of, resolve
from facts.organisations import OrganisationRegister
from policy.catalogue import catalogue
from policy.decision import Decision, Subject
from policy.errors import InvalidRequest, NotEntitled, Unavailable
from policy.facts import ChildRecord, FactsUnavailable
from policy.sending import CORRESPONDENCE, SendQuestion, send_request

log = logging.getLogger("hoi.correspondence")

RELEASED = {CORRESPONDENCE: ["message"]}
"""What a sent message discloses, as the disclosure record says it."""


class SendRefused(Exception):
    """The policy did not permit the send; `decision` says why and what would."""

    def __init__(self, decision: Decision) -> None:
        super().__init__("the policy did not permit this message")
        self.decision = decision


def _split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return name or "-", "-"
    return " ".join(parts[:-1]), parts[-1]


def _medcom_organisation(recipient: Recipient) -> Organisation:
    return Organisation(sor_id=recipient.sor_id, gln=recipient.gln, name=recipient.name)


@dataclass
class Correspondence:
    """The one way a message about a child leaves: decided, audited, queued."""

    pdp: DecisionPoint
    audit: AuditLog
    register: OrganisationRegister
    notify: Callable[[], None] | None = None
    """Wakes the outbox relay once a message is committed; None: no relay runs (no
    message network is configured), and nothing is accepted that could not leave."""
    new_id: Callable[[], uuid.UUID] = uuid.uuid4

    def _sender(self, subject: Subject) -> Recipient:
        sender = recipient_of(self.register, subject.organisation.id)
        if sender is None or not sender.organisation.phone:
            raise NotEntitled(
                f"your organisation ({subject.organisation.id}) has no SOR id, GLN and phone "
                "number in the organisation register, so MedCom cannot carry a message from it",
                field="subject.organisation",
            )
        return sender

    async def send(
        self, subject: Subject, body: MessageBody, origin: Origin, *, author_name: str | None
    ) -> SentMessage:
        notify = self.notify
        if notify is None:
            raise Unavailable(
                "no message network is configured (HOI_MESSAGE_NETWORK_URL), so no message "
                "can leave; nothing was decided or sent"
            )
        recipient = resolve(self.register, body.write_to)
        attachments = accept_attachments([a.incoming() for a in body.attachments])
        thread = self._thread(body)
        if body.category == "other" and body.title is None:  # careCommunication-6
            raise InvalidRequest("the category 'other' needs a title", field="title")
        sender = self._sender(subject)
        question = SendQuestion(topic=body.topic, recipient=recipient.facts(), grounds=body.grounds)
        request = send_request(subject, body.child_cpr, body.topic)
        calls = start_recording()
        decision = await self.pdp.decide_send(request, question)
        message_id = str(self.new_id())
        sent = CorrespondenceRecord(
            message_id=message_id,
            topic=body.topic,
            recipient_organisation_id=recipient.organisation.id,
            attachments=len(attachments),
            activity=body.activity,
        )
        record = decision_record(
            request,
            decision,
            recorded_at=self.audit.clock(),
            trace_id=origin.trace_id,
            source_calls=calls,
            client_address=origin.client_address,
            acting_system=origin.acting_system,
        ).model_copy(update={"correspondence": sent})
        outcome = decision.categories[CORRESPONDENCE]
        if outcome.decision != "permit":
            await self.audit.submit(record)
            count_decision(decision, "send")
            self._log("message refused", decision, subject, origin)
            raise SendRefused(decision)
        child = await self._child(body.child_cpr)
        given, family = _split_name(child.name)
        draft = Draft(
            sender=_medcom_organisation(sender),
            receiver=_medcom_organisation(recipient),
            author=self._author(subject, sender.organisation.phone, author_name),
            child=Child(cpr=child.cpr, given=given, family=family),
            category=body.category,
            topic=body.title,
            text=body.text,
            attachments=tuple(attachments),
        )
        # The MessageHeader's id (the second id build_message takes, after the
        # Bundle's) is the message id: the outbox's key, the delivery's idempotency
        # key and what MedCom's acknowledgement refers to.
        first = iter([self.new_id(), uuid.UUID(message_id)])
        bundle = build_message(
            draft,
            activity=body.activity,
            thread=thread,
            new_id=lambda: next(first, None) or self.new_id(),
            now=lambda: decision.decided_at,
        )
        disclosure = disclosure_record(record, RELEASED, (), recorded_at=record.recorded_at)
        row = outbox_values(
            message_id=message_id,
            decision_id=decision.decision_id,
            sender_organisation_id=sender.organisation.id,
            recipient_organisation_id=recipient.organisation.id,
            recipient_gln=recipient.gln,
            topic=body.topic,
            bundle_json=json.dumps(message_json(bundle), separators=(",", ":")),
            now=record.recorded_at,
        )
        await self.audit.submit_together([record, disclosure], [(OUTBOX, row)])
        count_decision(decision, "send")
        notify()
        self._log("message queued", decision, subject, origin)
        return SentMessage(
            message_id=message_id,
            decision_id=decision.decision_id,
            recipient={
                "write_to": recipient.write_to,
                "name": recipient.name,
                "sor_id": recipient.sor_id,
                "gln": recipient.gln,
            },
            queued_at=record.recorded_at,
            decision=decision,
        )

    def _thread(self, body: MessageBody) -> Thread | None:
        """The thread a reply or forward continues; checked before anything is
        decided, so a bad one writes nothing."""
        if body.activity == "new":
            if body.previous is not None:
                raise InvalidRequest("a new message continues no thread", field="previous")
            return None
        if body.previous is None:
            raise InvalidRequest(f"a {body.activity} needs the preceding message", field="previous")
        thread = thread_of(body.previous)
        if thread.cpr != body.child_cpr:
            raise InvalidRequest("the preceding message is about another child", field="previous")
        return thread

    async def _child(self, cpr: str) -> ChildRecord:
        child = await self.pdp.facts.child(cpr)
        if child is None:  # the policy denies a child the register does not know
            raise FactsUnavailable("the CPR register does not know the child")
        return child

    def _author(self, subject: Subject, sender_phone: str, name: str | None) -> Author:
        """The author as MedCom shows them: the name the identity provider vouches
        for (the token's `name`), or, without one, the role and the staff id; the
        role in words; the organisation's phone for the contact extension."""
        roles = catalogue().roles
        role = roles[subject.role].label if subject.role in roles else subject.role
        given, family = _split_name(name) if name else (role, f"({subject.id})")
        return Author(
            given=given[:100], family=family[:100], role_text=role[:100], phone=sender_phone
        )

    def _log(self, event: str, decision: Decision, subject: Subject, origin: Origin) -> None:
        log.info(
            event,
            extra={
                "decision_id": decision.decision_id,
                "trace_id": origin.trace_id,
                "role": subject.role,
                "organisation_id": subject.organisation.id,
            },
        )
