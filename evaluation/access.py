"""A read of the evaluation is itself an audited access (issue 16): who read it,
which period and what was shown, in the same chain as the decisions, committed
before the figures are shown or written."""

from __future__ import annotations

import getpass
from typing import Literal

from audit.log import AuditLog, caller_requester, evaluation_record
from audit.models import EvaluationRecord, Receipt, Requester
from evaluation.report import Period
from policy.caller import Caller


def operator() -> Requester:
    """Who runs `hoi evaluation report`: the operating-system account on the
    service's host (the command reads the database directly, with the
    service's own credentials); never a name given on the command line."""
    return Requester(
        id=f"operator:{getpass.getuser()}",
        role="operator",
        organisation_type="operator",
        organisation_id="",
        health_professional=False,
    )


async def record_read(
    audit: AuditLog,
    reader: Caller | Requester,
    period: Period,
    view: Literal["page", "table", "chart", "report"],
    name: str | None = None,
    *,
    trace_id: str,
    client_address: str | None = None,
    policy_revision: str = "none",
    engine: str = "none",
) -> Receipt:
    """Commit the record of one read of the evaluation for `period`: the page,
    one table or chart by `name`, or the whole report."""
    requester = caller_requester(reader) if isinstance(reader, Caller) else reader
    record = evaluation_record(
        requester=requester,
        evaluation=EvaluationRecord(
            period_start=period.start, period_end=period.end, view=view, name=name
        ),
        recorded_at=audit.clock(),
        trace_id=trace_id,
        client_address=client_address,
        policy_revision=policy_revision,
        engine=engine,
    )
    return await audit.submit(record)
