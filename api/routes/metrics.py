"""`GET /metrics`: the service's operational metrics, in Prometheus' text format.

Read by the operators' monitoring system with its own token (`role: system`, a
system acting for nobody). The metrics carry no person identifier, but a count
of denials by rule and category per minute is still the service's business, so
the route is not public.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentCaller
from metrics.exposition import CONTENT_TYPE, render
from policy.errors import Forbidden

router = APIRouter(tags=["operations"])


async def monitoring_caller(caller: CurrentCaller) -> str:
    if caller.kind != "system":
        raise Forbidden("only the monitoring system (a system token) reads the metrics")
    return caller.id


@router.get(
    "/metrics",
    operation_id="readMetrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
async def read_metrics(_: Annotated[str, Depends(monitoring_caller)]) -> Response:
    """Decisions by outcome, category, rule and reason; decision, engine, source and
    audit-commit latencies; source calls and breakers; the audit queue; facts-cache
    reuse; refused tokens. Summed over all worker processes."""
    body = await run_in_threadpool(render)
    return Response(content=body, media_type=CONTENT_TYPE)
