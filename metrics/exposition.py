"""The metrics as Prometheus' text format, from this process or from all workers.

One process: the default registry. Several workers (`hoi serve --workers N`
sets PROMETHEUS_MULTIPROC_DIR before they start): every worker writes its
values to files there and whichever worker answers the scrape adds them up, so
one scrape sees the whole service.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

CONTENT_TYPE = CONTENT_TYPE_LATEST


def render() -> bytes:
    """The current values, in the text exposition format."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def prepare_multiprocess(directory: Path) -> dict[str, str]:
    """A directory for the workers' metric files, without an earlier run's files
    (their values would otherwise be added in); returns the variable the workers
    need. Only prometheus_client's own `*.db` files are removed."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    return {MULTIPROC_ENV: str(directory)}


def worker_stopped(pid: int) -> None:
    """Drop a stopped worker's live gauges (queue depth, breakers) from the sums."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
