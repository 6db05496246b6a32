"""Every metric the service exports, and the small functions the layers call.

Labels are bounded sets the service defines (categories, rule ids, reason
codes, source ids, engine names, outcomes): never a CPR number, a person, an
organisation, a decision or a trace id. A value outside the known sets (a rule
id a future policy revision adds) is still bounded by the policy itself.

With several worker processes, prometheus_client's multiprocess mode keeps each
process's values in files under PROMETHEUS_MULTIPROC_DIR (`hoi serve` sets it
up); gauges say how they add up across the processes (`multiprocess_mode`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from prometheus_client import Counter, Gauge, Histogram

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Seconds: from half a millisecond (an engine evaluation) to the 2 s timeouts."""

DecisionKind = Literal["lookup", "send"]

CATEGORY_DECISIONS = Counter(
    "hoi_category_decisions",
    "Decisions per data category (a send is the category 'correspondence'), by outcome "
    "and by the rule that permitted or, for a deny, the rule of its first reason.",
    ["kind", "category", "outcome", "rule"],
)
DENY_REASONS = Counter(
    "hoi_deny_reasons",
    "Every reason a category was denied for, by reason code and rule.",
    ["kind", "category", "reason", "rule"],
)
DECISION_SECONDS = Histogram(
    "hoi_decision_seconds",
    "From a question to its audited answer (facts, engine, audit commit).",
    ["kind"],
    buckets=_FAST,
)
ENGINE_SECONDS = Histogram(
    "hoi_engine_seconds",
    "One evaluation of the policy, input built, on the configured engine.",
    ["engine"],
    buckets=_FAST,
)
ENGINE_FAILURES = Counter(
    "hoi_engine_failures",
    "Decisions that failed closed before the policy answered, by reason.",
    ["reason"],
)
INTERPRETED = Counter(
    "hoi_engine_interpreted",
    "Decisions the embedded engine's compiled program could not finish within its "
    "instruction budget, made by regorus's interpreter instead.",
)
SOURCE_CALLS = Counter(
    "hoi_source_calls",
    "Calls to the source systems (facts and data), by status.",
    ["source", "status"],
)
SOURCE_SECONDS = Histogram(
    "hoi_source_seconds",
    "Duration of a call to a source system.",
    ["source"],
    buckets=_FAST,
)
BREAKER_OPEN = Gauge(
    "hoi_source_breaker_open",
    "Worker processes whose circuit breaker for the source is open (not calling it).",
    ["source"],
    multiprocess_mode="livesum",
)
AUDIT_QUEUE = Gauge(
    "hoi_audit_queue_depth",
    "Audit records waiting for the writer (all workers).",
    multiprocess_mode="livesum",
)
AUDIT_GROUP = Histogram(
    "hoi_audit_group_commit_records",
    "Records committed together in one audit transaction (group commit).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
AUDIT_COMMIT_SECONDS = Histogram(
    "hoi_audit_commit_seconds",
    "Duration of one audit transaction, durable on return.",
    buckets=_FAST,
)
AUDIT_COMMIT_FAILURES = Counter(
    "hoi_audit_commit_failures",
    "Audit transactions that failed (every waiting answer was refused).",
)
FACTS_CACHE = Counter(
    "hoi_facts_cache_lookups",
    "Facts asked of the cache: 'hit' (reused within its lifetime), 'shared' (joined a "
    "read under way), 'miss' (read from the source).",
    ["fact", "result"],
)
TOKENS_REFUSED = Counter(
    "hoi_tokens_refused",
    "Bearer tokens refused at the edge, by reason.",
    ["reason"],
)


@contextmanager
def timing(histogram: Histogram) -> Iterator[None]:
    """Observe the block's duration in seconds (also when it raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - start)


def source_call(source: str, status: str, seconds: float) -> None:
    SOURCE_CALLS.labels(source=source, status=status).inc()
    SOURCE_SECONDS.labels(source=source).observe(seconds)
