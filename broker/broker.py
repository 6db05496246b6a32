"""The data broker: our own policy enforcement point for source data.

Given a decision, it calls only the sources of permitted categories, in
parallel, each bounded by its timeout and guarded by its circuit breaker;
keeps only the permitted fields of records from organisations not excluded;
records the disclosure; and returns the overview. Each record of a contact point
gets its organisation's `recipient` (SOR id, GLN, KLE task areas and the
`write_to` handle) from the organisation register (`recipient_of`, injected; a
school's is its municipality's unit for school support),
never from the source; like every field it leaves only when the category's
permitted fields name it. What it fetched lives only
in memory for the length of one request: nothing is written anywhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from broker.adapters import ADAPTERS, Adapter, FetchQuery, SourceRecord
from broker.breaker import CircuitBreaker
from broker.client import SourceClient, SourceError, quiet_http_logs
from broker.disclosure import (
    DisclosedCategory,
    Disclosure,
    DisclosureRecorder,
    NoDisclosureRecorder,
    SourceCallMade,
)
from broker.filtering import permitted_records
from broker.models import (
    CategoryData,
    Overview,
    SourceState,
    SourceStatus,
    WithheldCategory,
    to_make_visible,
)
from broker.sources import SourceList, SourceSpec
from metrics.instruments import BREAKER_OPEN, source_call
from policy.catalogue import catalogue
from policy.decision import CategoryDecision, Decision, DecisionRequest, Reason
from policy.errors import ConfigError

log = logging.getLogger("hoi.broker")


def _no_parents(_: str) -> tuple[str, ...]:
    return ()


def _no_recipient(_: str, __: str | None = None) -> dict[str, Any] | None:
    return None


Addresser = Callable[[str, str | None], dict[str, Any] | None]
"""The organisation register's address of an organisation, or, given a KLE task
area, of its unit answering for that area; None when the register cannot address
it (see facts/addressing.py)."""


RECIPIENT = "recipient"
"""The field a record's organisation's address goes in (a catalogue field name)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Fetched:
    status: SourceStatus
    records: list[SourceRecord]


@dataclass
class DataBroker:
    source_list: SourceList
    clients: dict[str, SourceClient]
    adapters: dict[str, Adapter] = field(default_factory=lambda: dict(ADAPTERS))
    recorder: DisclosureRecorder = field(default_factory=NoDisclosureRecorder)
    part_of: Callable[[str], tuple[str, ...]] = _no_parents
    clock: Callable[[], datetime] = _utc_now
    monotonic: Callable[[], float] = time.monotonic
    recipient_of: Addresser = _no_recipient
    """A record's organisation as a correspondence recipient (the organisation
    register's answer), or None when the register cannot address it."""
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in self.source_list.sources:
            if spec.category is not None and spec.adapter not in self.adapters:
                raise ConfigError(
                    f"source {spec.id} names the adapter {spec.adapter!r}, which does not "
                    f"exist; known: {', '.join(sorted(self.adapters))}",
                    field="adapter",
                )
            if spec.id not in self.clients:
                raise ConfigError(f"source {spec.id} has no client", field="sources")
            self.breakers.setdefault(
                spec.id,
                CircuitBreaker(
                    failure_threshold=spec.breaker.failure_threshold,
                    reset_after_s=spec.breaker.reset_after_s,
                    clock=self.monotonic,
                ),
            )

    @classmethod
    def build(
        cls,
        source_list: SourceList,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        recorder: DisclosureRecorder | None = None,
        part_of: Callable[[str], tuple[str, ...]] = _no_parents,
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        recipient_of: Addresser = _no_recipient,
    ) -> DataBroker:
        """One HTTP client per source; call in the app's lifespan."""
        quiet_http_logs()
        clients = {s.id: SourceClient(s, transport=transport) for s in source_list.sources}
        return cls(
            source_list=source_list,
            clients=clients,
            recorder=recorder or NoDisclosureRecorder(),
            part_of=part_of,
            clock=clock,
            monotonic=monotonic,
            recipient_of=recipient_of,
        )

    def client(self, source_id: str) -> SourceClient:
        return self.clients[source_id]

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients.values()))

    async def _fetch(self, spec: SourceSpec, query: FetchQuery) -> _Fetched:
        category = spec.category or ""

        started = time.perf_counter()

        def status(state: SourceState, detail: str | None = None) -> SourceStatus:
            seconds = time.perf_counter() - started
            elapsed = round(seconds * 1000, 3)
            source_call(spec.id, state if detail != "circuit_open" else "circuit_open", seconds)
            breaker = self.breakers[spec.id]
            BREAKER_OPEN.labels(spec.id).set(0 if breaker.state == "closed" else 1)
            return SourceStatus(
                source=spec.id, category=category, status=state, detail=detail, duration_ms=elapsed
            )

        client = self.clients[spec.id]
        if client.not_configured:
            return _Fetched(status("error", client.not_configured.split(":")[0]), [])
        breaker = self.breakers[spec.id]
        if not breaker.allow():
            return _Fetched(status("error", "circuit_open"), [])
        adapter = self.adapters[spec.adapter]
        try:
            async with asyncio.timeout(spec.timeout_s):
                records = await adapter(client, query)
        except TimeoutError:
            breaker.failure()
            log.warning("source timed out", extra={"source": spec.id})
            return _Fetched(status("timeout", "timeout"), [])
        except SourceError as exc:
            breaker.failure()
            log.warning("source failed", extra={"source": spec.id, "detail": exc.detail})
            state: SourceState = "timeout" if exc.detail == "timeout" else "error"
            return _Fetched(status(state, exc.detail), [])
        except asyncio.CancelledError:
            breaker.abandon()
            raise
        except Exception as exc:  # an adapter bug must not become an error page
            breaker.failure()
            log.error("adapter failed", extra={"source": spec.id, "error_type": type(exc).__name__})
            return _Fetched(status("error", "adapter_failed"), [])
        breaker.success()
        return _Fetched(status("ok"), records)

    async def overview(
        self,
        request: DecisionRequest,
        decision: Decision,
        *,
        recorder: DisclosureRecorder | None = None,
    ) -> Overview:
        """Fetch what `decision` permits for `request` and nothing else. The disclosure
        goes to `recorder` (default: the broker's) before the overview is returned."""
        cat = catalogue()
        role = request.subject.role
        query = FetchQuery(
            child_cpr=request.resource.child_cpr,
            role=role,
            organisation_id=request.subject.organisation.id,
            today=decision.decided_at.date(),
            kle_groups=cat.kle_groups_for(role),
        )
        permitted = {c: d for c, d in decision.categories.items() if d.decision == "permit"}
        jobs = [s for c in permitted for s in self.source_list.for_category(c)]
        fetched = await asyncio.gather(*(self._fetch(s, query) for s in jobs))
        by_category: dict[str, list[_Fetched]] = {c: [] for c in permitted}
        for spec, result in zip(jobs, fetched, strict=True):
            by_category[spec.category or ""].append(result)

        data: dict[str, CategoryData] = {}
        statuses: list[SourceStatus] = []
        answered: list[int] = []
        for category, outcome in permitted.items():
            records = []
            for result in by_category[category]:
                kept = permitted_records(
                    self._addressed(result.records), outcome, part_of=self.part_of
                )
                result.status.records = len(kept)
                statuses.append(result.status)
                answered.append(len(result.records))
                records += kept
            results = by_category[category]
            data[category] = CategoryData(
                category=category,
                label=self._label(category),
                fields=list(outcome.fields),
                records=records,
                complete=bool(results) and all(r.status.status == "ok" for r in results),
                sources=[r.status.source for r in results],
                rule_id=outcome.rule_id,
                legal_basis=outcome.legal_basis,
                obligations=outcome.obligations,
                override=outcome.override,
            )
        withheld = {
            c: self._withheld(c, d.reasons, override_possible=d.override_possible)
            for c, d in decision.categories.items()
            if d.decision != "permit"
        }
        for category, outcome in permitted.items():
            by_block = [_unnamed(r) for r in outcome.reasons if r.code == WITHHELD_BY_BLOCK]
            if by_block:
                data[category].complete = False
                withheld[category] = self._withheld(
                    category, by_block, partial=True, override_possible=outcome.override_possible
                )
        if data:
            try:
                disclosure = self._disclosure(request, decision, data, statuses, answered)
                await (recorder or self.recorder).record(disclosure)
            except Exception as exc:  # fail closed: what cannot be recorded does not leave
                log.error("disclosure not recorded", extra={"error_type": type(exc).__name__})
                withheld |= {c: self._withheld(c, [_not_recorded()]) for c in data}
                data = {}
                statuses = [s.model_copy(update={"records": 0}) for s in statuses]
        return Overview(
            decision_id=decision.decision_id,
            decided_at=decision.decided_at,
            engine=decision.engine,
            policy_revision=decision.policy_revision,
            purpose=request.context.purpose,
            complete=not withheld and all(d.complete for d in data.values()),
            data=data,
            withheld=withheld,
            sources=statuses,
        )

    def _addressed(self, records: list[SourceRecord]) -> list[SourceRecord]:
        """The records with their organisation's `recipient` from the register. A
        `recipient` the source itself sent is dropped: only the register addresses."""
        addressed = []
        for record in records:
            data = {k: v for k, v in record.data.items() if k != RECIPIENT}
            if record.contact_via is not None:
                address = self.recipient_of(*record.contact_via)
            elif record.origin and record.addressable:
                address = self.recipient_of(record.origin, None)
            else:
                address = None
            if address is not None:
                data[RECIPIENT] = address
            addressed.append(
                SourceRecord(record.origin, data, record.addressable, record.contact_via)
            )
        return addressed

    def _label(self, category: str) -> str:
        spec = catalogue().categories.get(category)
        return spec.label if spec else category

    def _withheld(
        self,
        category: str,
        reasons: list[Reason],
        *,
        partial: bool = False,
        override_possible: bool = False,
    ) -> WithheldCategory:
        return WithheldCategory(
            category=category,
            label=self._label(category),
            reason=reasons[0].code if reasons else "unknown",
            reasons=reasons,
            to_make_visible=list(dict.fromkeys(to_make_visible(r) for r in reasons)),
            partial=partial,
            withheld_by_block=any(r.code in BLOCK_CODES for r in reasons),
            override_possible=override_possible,
        )

    def _disclosure(
        self,
        request: DecisionRequest,
        decision: Decision,
        data: dict[str, CategoryData],
        statuses: list[SourceStatus],
        answered: list[int],
    ) -> Disclosure:
        """What left, for the audit trail; per source call also how many records it
        answered and how many a block withheld (a permitted category's records are
        dropped only for an excluded organisation)."""
        outcomes: dict[str, CategoryDecision] = decision.categories
        return Disclosure(
            decision_id=decision.decision_id,
            policy_revision=decision.policy_revision,
            disclosed_at=self.clock(),
            subject_id=request.subject.id,
            role=request.subject.role,
            organisation_id=request.subject.organisation.id,
            child_cpr=request.resource.child_cpr,
            purpose=request.context.purpose,
            categories=[
                DisclosedCategory(
                    category=c,
                    fields=d.fields,
                    released=[f for f in d.fields if any(f in r for r in d.records)],
                    sources=d.sources,
                    records=len(d.records),
                    rule_id=outcomes[c].rule_id,
                    legal_basis=outcomes[c].legal_basis,
                    obligations=outcomes[c].obligations,
                    override=outcomes[c].override,
                )
                for c, d in data.items()
            ],
            source_calls=[
                SourceCallMade(
                    source=s.source,
                    status=s.status,
                    duration_us=int(s.duration_ms * 1000),
                    records=n,
                    withheld=n - s.records,
                )
                for s, n in zip(statuses, answered, strict=True)
            ],
        )


WITHHELD_BY_BLOCK = "withheld_by_block"
BLOCK_CODES = frozenset({"blocked", WITHHELD_BY_BLOCK})
"""Reason codes of what a citizen's block withholds."""


def _unnamed(reason: Reason) -> Reason:
    """The reason without what the policy adds for the enforcement point (which
    organisations, which blocks): a professional learns that records are
    withheld at the family's request, never from where or how many."""
    return Reason(
        code=reason.code,
        rule_id=reason.rule_id,
        legal_basis=reason.legal_basis,
        message=reason.message,
        citations=reason.citations,
        basis_review=reason.basis_review,
    )


def _not_recorded() -> Reason:
    return Reason(
        code="disclosure_not_recorded",
        rule_id="DENY-DISCLOSURE-NOT-RECORDED",
        legal_basis=[],
        message="The disclosure could not be recorded, so nothing is shown.",
    )
