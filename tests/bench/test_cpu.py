"""The CPU bench's plumbing: finding the service's worker processes and reading
their CPU time (the loads themselves run in `python -m bench.cpu`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench import cpu


def test_a_process_tree_holds_the_workers_and_their_cpu_time_grows() -> None:
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'while True: pass'])"
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 10
        tree = cpu.process_tree(parent.pid)
        while len(tree) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            tree = cpu.process_tree(parent.pid)
        assert tree[0] == parent.pid and len(tree) == 2
        assert os.getpid() not in tree
        before = cpu.cpu_seconds(tree)
        time.sleep(0.5)
        assert cpu.cpu_seconds(tree) - before > 0.1  # the busy grandchild counts
    finally:
        for pid in reversed(cpu.process_tree(parent.pid)):
            os.kill(pid, 9)
        parent.wait()


def test_the_report_gives_each_measure_with_its_ratio_to_the_base() -> None:
    def load(ms: float) -> cpu.Load:
        return cpu.Load(rate=100, p50_ms=10, p99_ms=20, service_ms=ms, sandbox_ms=1)

    results = {
        "base": [{"decisions": load(4), "overviews": load(10)}] * 2,
        "now": [{"decisions": load(3), "overviews": load(12)}] * 2,
    }
    text = cpu.report("abc123", results)
    assert "| decisions | service CPU per request, ms | 4.00 | 3.00 | x0.75 |" in text
    assert "| overviews | service CPU per request, ms | 10.00 | 12.00 | x1.20 |" in text
