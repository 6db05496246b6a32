"""The child overview as an application service: decide (audited), fetch only what
is permitted through the broker, record the disclosure, answer.

The API's overview routes and the professional's page both call `child_overview`
with the caller the verified token made, so a page never sees more than the API
would give the same person."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from audit.log import AuditLog
from audit.models import SourceCall
from broker.broker import DataBroker
from broker.disclosure import Disclosure
from broker.models import Overview
from decisions.service import AuditedDecisions, Origin, override_field
from policy.caller import Caller
from policy.decision import Context, DecisionRequest, Override, Resource


class AuditedDisclosures:
    """The broker's disclosure recorder for one request: the audit log's disclosure
    record, committed before the overview leaves. If the audit log refuses (the
    decision was not audited, or more than it permitted would leave) or cannot
    write, the broker withholds everything."""

    def __init__(self, audit: AuditLog, trace_id: str) -> None:
        self.audit = audit
        self.trace_id = trace_id

    async def record(self, disclosure: Disclosure) -> None:
        await self.audit.record_disclosure(
            disclosure.decision_id,
            {c.category: c.released for c in disclosure.categories},
            [
                SourceCall(
                    source=c.source,
                    status=c.status,
                    duration_us=c.duration_us,
                    records=c.records,
                    withheld=c.withheld,
                )
                for c in disclosure.source_calls
            ],
            trace_id=self.trace_id,
        )


class OverviewServices(Protocol):
    """The parts of the service an overview uses."""

    @property
    def decisions(self) -> AuditedDecisions: ...
    @property
    def broker(self) -> DataBroker: ...
    @property
    def audit(self) -> AuditLog: ...


async def child_overview(
    cpr: str,
    caller: Caller,
    origin: Origin,
    services: OverviewServices,
    *,
    purpose: str,
    case_reference: str | None = None,
    categories: Sequence[str] | None = None,
    override: Override | None = None,
    field_of: Callable[[str], str] = override_field,
) -> Overview:
    """Decide for `caller` (a professional: `Caller.subject` refuses anyone else),
    audit the decision, fetch only the permitted categories, keep only the permitted
    fields, audit the disclosure, answer. `field_of` names an invalid override's
    field in the refusal (the API's body path)."""
    broker = services.broker
    request = DecisionRequest(
        subject=caller.subject(),
        action="view",
        resource=Resource(
            child_cpr=cpr, categories=list(categories or broker.source_list.categories())
        ),
        context=Context(purpose=purpose, case_reference=case_reference, override=override),
    )
    decision = await services.decisions.decide(request, origin, field_of=field_of)
    return await broker.overview(
        request, decision, recorder=AuditedDisclosures(services.audit, origin.trace_id)
    )
