"""The auditor's page: search the audit trail, see whether the chain holds, and
read the pilot's evaluation (published figures only).

The search is the auditor API's own query (`audit.query.search`, as
`GET /v1/audit`) with the same filters checked the same way; a rule id narrows
the page of records the query returned (the trail has no rule column). The
chain is verified by `audit.verify.verify` on a worker thread, as
`GET /v1/audit/verify` and `hoi audit verify` do. The evaluation is
`evaluation.report.figures_for`: suppressed tables, charts and CSV of only the
published figures, for the chosen period.

Only GETs: the page changes nothing, so it has no form to forge."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine, select

from audit.models import Outcome, StoredRecord, VerifyReport
from audit.query import Cursor, search
from audit.store import HEAD
from audit.verify import CHECKPOINTS, verify
from evaluation.access import record_read
from evaluation.figures import Figures
from evaluation.report import (
    CHARTS,
    NOTES,
    Period,
    chart_svg,
    figures_for,
    label,
    rows_of,
    to_csv,
)
from evaluation.suppression import MIN_CHILDREN
from pages.frame import guarded, render, signed_in
from pages.ports import services_of
from pages.security import PREFIX
from policy.caller import Caller
from policy.cpr import Cpr
from policy.decision import Identifier
from policy.errors import Forbidden, InvalidRequest, NotFound

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Text = Annotated[str, Query(max_length=128)]
PAGE_SIZE = 50
OUTCOMES: tuple[str, ...] = get_args(Outcome)
_CPR: TypeAdapter[str] = TypeAdapter(Cpr)
_ID: TypeAdapter[str] = TypeAdapter(Identifier)
_CHARTING = threading.Lock()
"""matplotlib's pyplot keeps global state: one chart at a time."""


async def auditor(request: Request) -> Caller:
    caller = await signed_in(request)
    if caller.kind != "auditor":
        raise Forbidden("only an auditor may read the audit trail")
    return caller


def _checked(adapter: TypeAdapter[str], value: str, field: str, message: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise InvalidRequest(message, field=field) from exc


def _day(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequest("give the date as YYYY-MM-DD", field=field) from exc


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class Checkpoint:
    id: int
    through_seq: int
    purged_total: int
    cutoff: datetime
    created_at: datetime
    key_id: str


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def chain_state(db: Engine, signer: Any) -> tuple[VerifyReport, Checkpoint | None, Head | None]:
    """The verifier's report, the last signed checkpoint and the signed head."""
    report = verify(db, signer)
    with db.connect() as conn:
        row = conn.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.id.desc()).limit(1)).first()
        head = conn.execute(select(HEAD).where(HEAD.c.id == 1)).first()
    checkpoint = (
        Checkpoint(
            id=row.id,
            through_seq=row.through_seq,
            purged_total=row.purged_total,
            cutoff=row.cutoff,
            created_at=row.created_at,
            key_id=row.key_id,
        )
        if row is not None
        else None
    )
    return report, checkpoint, Head(head.seq, head.hash) if head is not None else None


def rule_ids(stored: StoredRecord) -> set[str]:
    """Every rule the record names: per category, and in the reasons."""
    record = stored.record
    found = {c.rule_id for c in record.categories.values() if c.rule_id}
    found |= {r.rule_id for c in record.categories.values() for r in c.reasons}
    if record.registry is not None:
        found |= {r.rule_id for r in record.registry.reasons}
    return found


@router.get("/auditor")
async def auditor_page(
    request: Request,
    child_cpr: Text = "",
    requester_id: Text = "",
    organisation_id: Text = "",
    rule_id: Text = "",
    outcome: Text = "",
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    async def page() -> Response:
        caller = await auditor(request)
        services = services_of(request)
        if outcome and outcome not in OUTCOMES:
            raise InvalidRequest("choose an outcome from the list", field="outcome")
        first, last = _day(since, "from"), _day(until, "to")
        if first and last and last < first:
            raise InvalidRequest("the period ends before it starts", field="to")
        filters: dict[str, Any] = {
            "child_cpr": _checked(_CPR, child_cpr, "child_cpr", "a CPR number is ten digits"),
            "requester_id": _checked(_ID, requester_id, "requester_id", "not an identifier"),
            "organisation_id": _checked(
                _ID, organisation_id, "organisation_id", "not an identifier"
            ),
            "outcome": outcome or None,
            "since": _midnight(first) if first else None,
            "until": _midnight(last + timedelta(days=1)) if last else None,
        }
        rule = _checked(_ID, rule_id, "rule_id", "not a rule id")
        found = await run_in_threadpool(
            search,
            services.db,
            limit=PAGE_SIZE,
            cursor=Cursor.decode(cursor) if cursor else None,
            **filters,
        )
        records = [r for r in found.records if rule is None or rule in rule_ids(r)]
        report, checkpoint, head = await run_in_threadpool(
            chain_state, services.db, services.audit.signer
        )
        form = {
            "child_cpr": filters["child_cpr"] or "",
            "requester_id": filters["requester_id"] or "",
            "organisation_id": filters["organisation_id"] or "",
            "rule_id": rule or "",
            "outcome": outcome,
            "from": first.isoformat() if first else "",
            "to": last.isoformat() if last else "",
        }
        more = (
            f"{PREFIX}/auditor?" + urlencode({**form, "cursor": found.next_cursor})
            if found.next_cursor
            else None
        )
        return render(
            request,
            "auditor.html",
            caller=caller,
            form=form,
            outcomes=OUTCOMES,
            records=records,
            scanned=len(found.records),
            rule=rule,
            more=more,
            paged=bool(cursor),
            report=report,
            checkpoint=checkpoint,
            head=head,
            org_name=lambda i: services.organisation_name(i) or i,
            period=_default_period(services.clock().date()),
        )

    return await guarded(request, page)


def _default_period(today: date) -> Period:
    return Period(today.replace(day=1), today)


def _period(since: str, until: str, today: date) -> Period:
    default = _default_period(today)
    first = _day(since, "from") or default.start
    last = _day(until, "to") or default.end
    if last < first:
        raise InvalidRequest("the period ends before it starts", field="to")
    if (last - first).days > 3 * 366:
        raise InvalidRequest("choose a period of at most three years", field="to")
    return Period(first, last)


async def _figures(request: Request, period: Period) -> Figures:
    services = services_of(request)

    def recipient_type(organisation_id: str) -> str | None:
        found = services.organisations.get(organisation_id)
        return found.type if found else None

    def municipality_of(organisation_id: str) -> str | None:
        found = services.organisations.get(organisation_id)
        return found.municipality_code if found else None

    return await run_in_threadpool(
        figures_for, services.db, period, recipient_type, municipality_of
    )


async def _audited(
    request: Request,
    caller: Caller,
    period: Period,
    view: Literal["page", "table", "chart"],
    name: str | None = None,
) -> None:
    """Each read of the evaluation is committed to the audit trail before it is shown."""
    services = services_of(request)
    await record_read(
        services.audit,
        caller,
        period,
        view,
        name,
        trace_id=uuid.uuid4().hex,
        client_address=request.client.host if request.client else None,
        policy_revision=services.pdp.engine.revision,
        engine=services.pdp.engine.name,
    )


Since = Annotated[str, Query(alias="from", max_length=10)]
Until = Annotated[str, Query(alias="to", max_length=10)]


@router.get("/auditor/evaluation")
async def evaluation_page(request: Request, since: Since = "", until: Until = "") -> Response:
    async def page() -> Response:
        caller = await auditor(request)
        period = _period(since, until, services_of(request).clock().date())
        figures = await _figures(request, period)
        await _audited(request, caller, period, "page")

        def drawable() -> list[tuple[str, str]]:
            with _CHARTING:
                return [(n, title) for n, _, title, _ in CHARTS if chart_svg(figures, n)]

        charts = await run_in_threadpool(drawable)
        query = urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()})
        return render(
            request,
            "auditor_evaluation.html",
            caller=caller,
            period=period,
            tables=[
                {"table": t, "rows": rows_of(t), "note": NOTES.get(t.name)} for t in figures.tables
            ],
            charts=charts,
            query=query,
            minimum=MIN_CHILDREN,
            label=label,
        )

    return await guarded(request, page)


@router.get("/auditor/evaluation/{name}.csv")
async def evaluation_csv(
    request: Request, name: str, since: Since = "", until: Until = ""
) -> Response:
    async def page() -> Response:
        caller = await auditor(request)
        period = _period(since, until, services_of(request).clock().date())
        figures = await _figures(request, period)
        table = next((t for t in figures.tables if t.name == name), None)
        if table is None:
            raise NotFound("no table has this name", field="name")
        await _audited(request, caller, period, "table", name)
        return Response(
            to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{table.name}-{period.start}'
                f'-{period.end}.csv"'
            },
        )

    return await guarded(request, page)


@router.get("/auditor/evaluation/{name}.svg")
async def evaluation_svg(
    request: Request, name: str, since: Since = "", until: Until = ""
) -> Response:
    async def page() -> Response:
        caller = await auditor(request)
        if name not in {c[0] for c in CHARTS}:
            raise NotFound("no chart has this name", field="name")
        period = _period(since, until, services_of(request).clock().date())
        figures = await _figures(request, period)

        def draw() -> str | None:
            with _CHARTING:
                return chart_svg(figures, name)

        svg = await run_in_threadpool(draw)
        if svg is None:
            raise NotFound("nothing in this chart is published for the period", field="name")
        await _audited(request, caller, period, "chart", name)
        return Response(svg, media_type="image/svg+xml")

    return await guarded(request, page)
