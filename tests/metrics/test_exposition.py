"""The metrics' rendering across worker processes (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.api.test_metrics import parse, value

ROOT = Path(__file__).resolve().parents[2]


def test_worker_processes_add_up(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (what `hoi serve --workers N` sets), what each
    worker process counted is in one rendering."""
    from metrics.exposition import prepare_multiprocess

    env = {**os.environ, **prepare_multiprocess(tmp_path / "metrics")}
    count = (
        "from metrics.instruments import CATEGORY_DECISIONS as c;"
        "c.labels('lookup', 'school_daycare', 'deny', 'DENY-NO-ROUTE').inc()"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=ROOT)
    render = (
        "import sys; from metrics.exposition import render; sys.stdout.write(render().decode())"
    )
    text = subprocess.run(
        [sys.executable, "-c", render],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    found = parse(text)
    labels = {
        "kind": "lookup",
        "category": "school_daycare",
        "outcome": "deny",
        "rule": "DENY-NO-ROUTE",
    }
    assert value(found, "hoi_category_decisions_total", **labels) == 2
    # an earlier run's files are not added in
    prepare_multiprocess(tmp_path / "metrics")
    assert not list((tmp_path / "metrics").glob("*.db"))
