"""The audit log: every decision and disclosure, committed before the answer.

Group commit: each request puts its record on a queue and waits on a future.
One writer takes everything queued, appends it to the chain in a single
transaction on its own thread and resolves every future after the commit. While
one batch commits, the next one gathers, so concurrent requests share commits.
If the commit fails, every waiting request fails (503) and nothing is released.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from cachetools import LRUCache
from sqlalchemy import Engine

from audit.chain import Signer, canonical_json
from audit.models import (
    AuditRecord,
    CategoryOutcome,
    EvaluationRecord,
    Outcome,
    OverrideRecord,
    ReasonRecord,
    Receipt,
    RegistryRecord,
    Requester,
    SourceCall,
)
from audit.store import Companion, Prepared, append, find_decision, prepare
from metrics.instruments import (
    AUDIT_COMMIT_FAILURES,
    AUDIT_COMMIT_SECONDS,
    AUDIT_GROUP,
    AUDIT_QUEUE,
    timing,
)
from policy.caller import Caller
from policy.decision import Decision, DecisionRequest, Reason, Subject
from policy.errors import NotEntitled, NotFound, Unavailable
from tracing.spans import span

log = logging.getLogger("hoi.audit")


class AuditUnavailable(Unavailable):
    """The audit record could not be committed, so nothing may be released."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def overall_outcome(decision: Decision) -> Outcome:
    outcomes = {c.decision for c in decision.categories.values()}
    if outcomes == {"permit"}:
        return "permit"
    if "permit" in outcomes:
        return "partial"
    return "deny"


def requester_of(subject: Subject, acting_system: str | None) -> Requester:
    """The professional who asked, and the system that called for them, if any."""
    return Requester(
        id=subject.id,
        role=subject.role,
        organisation_type=subject.organisation.type,
        organisation_id=subject.organisation.id,
        health_professional=subject.health_professional,
        acting_system=acting_system,
    )


def _days_outside_window(reason: Reason) -> int | None:
    """How many days a GP's lookup fell outside the consultation window, from the
    policy's `no_relation` reason (rego/hoi/relation); None on any other reason or
    when the policy measured nothing. Only a whole positive number is kept."""
    value = (reason.model_extra or {}).get("days_outside_window")
    if reason.code != "no_relation" or isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value >= 1 and value == int(value):
        return int(value)
    return None


def decision_record(
    request: DecisionRequest,
    decision: Decision,
    *,
    recorded_at: datetime,
    trace_id: str,
    source_calls: Sequence[SourceCall] = (),
    client_address: str | None = None,
    acting_system: str | None = None,
) -> AuditRecord:
    """The audit record of one decision: who asked what, what was decided and why.
    `acting_system`: the system that called on the professional's behalf (the
    token's RFC 8693 `act`), if one did."""
    subject = request.subject
    override = request.context.override
    categories = {
        name: CategoryOutcome(
            decision=c.decision,
            fields=list(c.fields),
            rule_id=c.rule_id,
            legal_basis=list(c.legal_basis),
            reasons=[
                ReasonRecord(
                    code=r.code,
                    rule_id=r.rule_id,
                    legal_basis=list(r.legal_basis),
                    message=r.message,
                    missing=[m if isinstance(m, str) else m.model_dump() for m in r.missing]
                    if r.missing is not None
                    else None,
                    days_outside_window=_days_outside_window(r),
                )
                for r in c.reasons
            ],
            relied_on=c.relied_on,
            override=c.override,
            obligations=list(c.obligations),
            exclude_organisations=list(c.exclude_organisations),
        )
        for name, c in decision.categories.items()
    }
    return AuditRecord(
        kind="decision",
        decision_id=decision.decision_id,
        recorded_at=recorded_at,
        decided_at=decision.decided_at,
        trace_id=trace_id,
        requester=requester_of(subject, acting_system),
        client_address=client_address,
        child_cpr=request.resource.child_cpr,
        purpose=request.context.purpose,
        action=request.action,
        case_reference=request.context.case_reference,
        categories_asked=list(dict.fromkeys(request.resource.categories)),
        outcome=overall_outcome(decision),
        categories=categories,
        released={
            n: list(c.fields) for n, c in decision.categories.items() if c.decision == "permit"
        },
        relied_on=decision.relied_on,
        override=OverrideRecord(
            requested=override is not None,
            used=any(c.override for c in decision.categories.values()),
            grounds=override.grounds if override else None,
            reason=override.reason if override else None,
            refused=override is not None and not decision.override.allowed,
            refusal=decision.override.refusal if override is not None else None,
        ),
        policy_revision=decision.policy_revision,
        engine=decision.engine,
        source_calls=list(source_calls),
        facts_read_at=decision.facts_read_at,
    )


def override_attempt_record(
    request: DecisionRequest,
    *,
    refusal: str,
    recorded_at: datetime,
    trace_id: str,
    client_address: str | None,
    acting_system: str | None,
    policy_revision: str,
    engine: str,
) -> AuditRecord:
    """The audit record of an override request refused before any decision (its
    grounds or weighty reason are invalid): who asked, about which child, on which
    grounds and why it was refused. Nothing was decided or released."""
    subject = request.subject
    override = request.context.override
    return AuditRecord(
        kind="override_attempt",
        decision_id=str(uuid.uuid4()),
        recorded_at=recorded_at,
        decided_at=recorded_at,
        trace_id=trace_id,
        requester=requester_of(subject, acting_system),
        client_address=client_address,
        child_cpr=request.resource.child_cpr,
        purpose=request.context.purpose,
        action=request.action,
        case_reference=request.context.case_reference,
        categories_asked=list(dict.fromkeys(request.resource.categories)),
        outcome="deny",
        override=OverrideRecord(
            requested=True,
            used=False,
            grounds=override.grounds if override else None,
            reason=override.reason if override else None,
            refused=True,
            refusal=refusal,
        ),
        policy_revision=policy_revision,
        engine=engine,
    )


def registry_record(
    *,
    kind: Literal["registry_read", "registry_write"],
    requester: Requester,
    child_cpr: str,
    registry: RegistryRecord,
    allowed: bool,
    recorded_at: datetime,
    trace_id: str,
    client_address: str | None,
    policy_revision: str,
    engine: str,
) -> AuditRecord:
    """The audit record of a registry read or write (in the same chain as decisions).
    A read is a decision (permit or deny); a write is recorded once it is allowed."""
    outcome: Outcome = (
        "deny" if not allowed else "recorded" if kind == "registry_write" else "permit"
    )
    return AuditRecord(
        kind=kind,
        decision_id=str(uuid.uuid4()),
        recorded_at=recorded_at,
        decided_at=recorded_at,
        trace_id=trace_id,
        requester=requester,
        client_address=client_address,
        child_cpr=child_cpr,
        purpose="registry",
        action=registry.action,
        categories_asked=list(registry.summary.get("categories", [])),
        outcome=outcome,
        override=OverrideRecord(requested=False, used=False),
        policy_revision=policy_revision,
        engine=engine,
        registry=registry,
    )


def caller_requester(caller: Caller) -> Requester:
    """A caller who acts in their own name (a professional, an auditor), as the
    audit records them: from the verified token, never a CPR number."""
    organisation = caller.organisation
    return Requester(
        id=caller.id,
        role=caller.role,
        organisation_type=organisation.type if organisation else caller.kind,
        organisation_id=organisation.id if organisation else "",
        health_professional=caller.health_professional,
        acting_system=caller.acting_system.id if caller.acting_system else None,
    )


def evaluation_record(
    *,
    requester: Requester,
    evaluation: EvaluationRecord,
    recorded_at: datetime,
    trace_id: str,
    client_address: str | None,
    policy_revision: str,
    engine: str,
) -> AuditRecord:
    """The audit record of a read of the pilot's evaluation: figures about many
    children and none by name, so the record names no child (child_cpr is
    empty and no family's access log shows it)."""
    return AuditRecord(
        kind="evaluation_read",
        decision_id=str(uuid.uuid4()),
        recorded_at=recorded_at,
        decided_at=recorded_at,
        trace_id=trace_id,
        requester=requester,
        client_address=client_address,
        child_cpr="",
        purpose="evaluation",
        action=f"evaluation.{evaluation.view}",
        categories_asked=[],
        outcome="permit",
        override=OverrideRecord(requested=False, used=False),
        policy_revision=policy_revision,
        engine=engine,
        evaluation=evaluation,
    )


def check_disclosure(decision: AuditRecord, released: Mapping[str, Sequence[str]]) -> None:
    """A disclosure may release only what its decision permitted."""
    for category, fields in released.items():
        outcome = decision.categories.get(category)
        if outcome is None or outcome.decision != "permit":
            raise NotEntitled(
                f"the decision did not permit {category}; nothing of it may be disclosed",
                field=f"released.{category}",
            )
        extra = sorted(set(fields) - set(outcome.fields))
        if extra:
            raise NotEntitled(
                f"the decision did not permit the fields {', '.join(extra)} of {category}",
                field=f"released.{category}",
            )


def disclosure_record(
    decision: AuditRecord,
    released: Mapping[str, Sequence[str]],
    source_calls: Sequence[SourceCall],
    *,
    recorded_at: datetime,
    trace_id: str | None = None,
) -> AuditRecord:
    return decision.model_copy(
        update={
            "kind": "disclosure",
            "recorded_at": recorded_at,
            "trace_id": trace_id or decision.trace_id,
            "outcome": "disclosed",
            "categories": {},
            "released": {c: list(dict.fromkeys(f)) for c, f in released.items()},
            "source_calls": list(source_calls),
        }
    )


@dataclass
class _Pending:
    items: tuple[Prepared, ...]
    """Records committed together, in this order, in one transaction."""
    future: asyncio.Future[list[Receipt]]


COMMITTED_KEPT = 4096
"""How many of its own committed decision records an audit log keeps in memory."""


class AuditLog:
    """Durable, group-committed audit records. Build one per service; close it."""

    def __init__(
        self,
        db: Engine,
        signer: Signer,
        *,
        clock: Callable[[], datetime] = _utc_now,
        max_batch: int = 512,
    ) -> None:
        self.db = db
        self.signer = signer
        self.clock = clock
        self.max_batch = max_batch
        self.batches = 0
        self.records = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hoi-audit")
        self._committed: LRUCache[str, str] = LRUCache(maxsize=COMMITTED_KEPT)
        """The canonical bodies of the decision records this log committed, newest
        kept: an overview's disclosure is checked against its decision without
        reading it back from the database. Kept as the committed text, not as
        models: one string is one object, where a record's models are about a
        hundred the garbage collector would walk on every full collection (at
        4,096 records, pauses of over 100 ms under load)."""
        self._queue: asyncio.Queue[_Pending | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def record_decision(
        self,
        request: DecisionRequest,
        decision: Decision,
        *,
        trace_id: str,
        source_calls: Sequence[SourceCall] = (),
        client_address: str | None = None,
        acting_system: str | None = None,
    ) -> Receipt:
        """Commit the decision's record; return only once it is durable."""
        (receipt,) = await self.record_decisions(
            [(request, decision, source_calls)],
            trace_id=trace_id,
            client_address=client_address,
            acting_system=acting_system,
        )
        return receipt

    async def record_decisions(
        self,
        decided: Sequence[tuple[DecisionRequest, Decision, Sequence[SourceCall]]],
        *,
        trace_id: str,
        client_address: str | None = None,
        acting_system: str | None = None,
    ) -> list[Receipt]:
        """Commit the records of several decisions of one call in one transaction
        (all or none); return only once they are durable."""
        recorded_at = self.clock()
        records = [
            decision_record(
                request,
                decision,
                recorded_at=recorded_at,
                trace_id=trace_id,
                source_calls=calls,
                client_address=client_address,
                acting_system=acting_system,
            )
            for request, decision, calls in decided
        ]
        return await self.submit_together(records)

    async def record_override_attempt(
        self,
        request: DecisionRequest,
        *,
        refusal: str,
        trace_id: str,
        client_address: str | None,
        acting_system: str | None,
        policy_revision: str,
        engine: str,
    ) -> Receipt:
        """Commit the record of an override request refused by validation; return
        only once it is durable, so that the refusal is sent after it."""
        record = override_attempt_record(
            request,
            refusal=refusal,
            recorded_at=self.clock(),
            trace_id=trace_id,
            client_address=client_address,
            acting_system=acting_system,
            policy_revision=policy_revision,
            engine=engine,
        )
        return await self.submit(record)

    async def record_disclosure(
        self,
        decision_id: str,
        released: Mapping[str, Sequence[str]],
        source_calls: Sequence[SourceCall] = (),
        *,
        trace_id: str | None = None,
    ) -> Receipt:
        """Commit what left the service for a decision; call before sending it.

        `released` maps each category to the fields actually released. Raises
        NotFound when the decision was never audited and NotEntitled when the
        release exceeds what the decision permitted: the caller must then
        release nothing."""
        body = self._committed.get(decision_id)
        if body is not None:
            decision: AuditRecord | None = AuditRecord.model_validate_json(body)
        else:  # committed by another process, or long ago: read it back
            decision = await asyncio.get_running_loop().run_in_executor(
                None, find_decision, self.db, decision_id
            )
        if decision is None:
            raise NotFound(
                "no audited decision has this id, so nothing may be disclosed",
                field="decision_id",
            )
        check_disclosure(decision, released)
        record = disclosure_record(
            decision, released, source_calls, recorded_at=self.clock(), trace_id=trace_id
        )
        return await self.submit(record)

    async def submit(self, record: AuditRecord) -> Receipt:
        (receipt,) = await self.submit_together([record])
        return receipt

    async def submit_together(
        self, records: Sequence[AuditRecord], companions: Sequence[Companion] = ()
    ) -> list[Receipt]:
        """Commit `records`, in order, and the `companions` rows in one transaction
        (all or nothing); return once durable. The companions go with the last record."""
        # The AuditRecord schema admits no float anywhere, so the canonical
        # form needs no float scan on this hot path.
        bodies = [canonical_json(r.model_dump(mode="json"), check=False) for r in records]
        items = tuple(
            prepare(r, b, companions if i == len(records) - 1 else ())
            for i, (r, b) in enumerate(zip(records, bodies, strict=True))
        )
        queue = self._writer_queue()
        future: asyncio.Future[list[Receipt]] = asyncio.get_running_loop().create_future()
        with span("audit.commit", records=len(items)):
            queue.put_nowait(_Pending(items, future))
            AUDIT_QUEUE.inc(len(items))
            receipts = await future
        # Durable now: a disclosure may rest on it.
        for record, body in zip(records, bodies, strict=True):
            if record.kind == "decision":
                self._committed[record.decision_id] = body
        return receipts

    def _writer_queue(self) -> asyncio.Queue[_Pending | None]:
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop or self._task is None or self._task.done():
            self._loop = loop
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._run(self._queue), name="hoi-audit-writer")
        return self._queue

    async def _run(self, queue: asyncio.Queue[_Pending | None]) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            first = await queue.get()
            if first is None:
                break
            batch = [first]
            while sum(len(p.items) for p in batch) < self.max_batch:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            if not await self._commit(loop, batch):
                # One group's rows broke the shared transaction (a companion row
                # that violates a constraint): commit the others alone, so that a
                # bad group refuses only its own request.
                for pending in batch:
                    await self._commit(loop, [pending])

    async def _commit(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> bool:
        """Commit `batch` in one transaction and resolve its futures. False: nothing
        was committed and nothing resolved, because a batch of several groups with
        companion rows failed; the caller then commits each group alone."""
        items = [item for p in batch for item in p.items]
        try:
            with timing(AUDIT_COMMIT_SECONDS):
                links = await loop.run_in_executor(
                    self._executor,
                    append,
                    self.db,
                    self.signer,
                    items,
                    _utc_now(),  # the head's operational timestamp: wall-clock time
                )
        except Exception as exc:  # any storage failure: fail every waiting request
            AUDIT_COMMIT_FAILURES.inc()
            if len(batch) > 1 and any(p.items[-1].companions for p in batch):
                return False
            AUDIT_QUEUE.dec(len(items))
            log.error(
                "audit commit failed; the waiting responses are refused",
                extra={"error_type": type(exc).__name__, "records": len(batch)},
            )
            for pending in batch:
                if not pending.future.done():
                    failure = AuditUnavailable(
                        "the audit record could not be written, so nothing was released"
                    )
                    failure.__cause__ = exc
                    pending.future.set_exception(failure)
            return True
        AUDIT_QUEUE.dec(len(items))
        AUDIT_GROUP.observe(len(items))
        self.batches += 1
        self.records += len(links)
        receipts = iter(Receipt(seq=seq, hash=digest) for seq, digest in links)
        for pending in batch:
            mine = [next(receipts) for _ in pending.items]
            if not pending.future.done():
                pending.future.set_result(mine)
        return True

    async def aclose(self) -> None:
        """Commit what is queued, then stop the writer."""
        if self._queue is not None and self._task is not None and not self._task.done():
            if self._loop is asyncio.get_running_loop():
                self._queue.put_nowait(None)
                await self._task
            else:
                self._task.cancel()
        self._task = None
        self._queue = None
        self._executor.shutdown(wait=True)
