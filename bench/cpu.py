"""What a request costs the service in CPU, this checkout beside a base ref, in the
same run.

    .venv/bin/python -m bench.cpu [--base HEAD~1] [--rounds 2] [--seconds 10]

Throughput on a shared 2-core machine swings widely from one hour to the next
(make bench's API row: 286 decisions/s in s28, 156/s hours later in s29, on code
this bench finds faster). What a request costs the service in CPU swings much
less, and the two sides take turns (base, this checkout, base, this checkout, ...),
so a noisy minute falls on both. For each side and round, a service with two
workers and the sandbox sources in their own process, under two loads from wrk:

- decisions: `POST /v1/decisions` (the README's example), 16 connections, the
  sources answering at once;
- overviews: `GET /v1/children/{cpr}/overview` (the caseworker, every category),
  50 connections, every source answering after 50 ms.

The CPU is read from /proc (user + system time of the service process and its
workers, and of the sandbox process) before and after the load, and divided by
the requests answered. The base ref is extracted with `git archive` into a
temporary folder and runs from there: its own service and sandbox code, this
virtual environment. Linux only (/proc); needs wrk.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench import wrk
from bench.common import REPOSITORY, SandboxProcess, ServiceProcess, git_tree
from bench.targets import CASEWORKER, README_BODY, SOURCE_DELAY, WORKERS, _env

DAY = date(2026, 11, 26)
_TICKS = os.sysconf("SC_CLK_TCK")


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children_of(current))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


@dataclass
class Load:
    """One load's outcome on one side."""

    rate: float
    p50_ms: float
    p99_ms: float
    service_ms: float
    """The service's CPU per answered request."""
    sandbox_ms: float


def _measure(
    url: str,
    service: list[int],
    sandbox: list[int],
    *,
    connections: int,
    seconds: float,
    token: str,
    post: bool,
) -> Load:
    method, body = ("POST", README_BODY) if post else ("GET", None)
    wrk.run(url, connections=connections, seconds=2, method=method, body=body, token=token)
    before = cpu_seconds(service), cpu_seconds(sandbox)
    result = wrk.run(
        url, connections=connections, seconds=seconds, method=method, body=body, token=token
    )
    after = cpu_seconds(service), cpu_seconds(sandbox)
    answered = max(1, result.requests - result.bad_status)
    return Load(
        rate=result.rate,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        service_ms=(after[0] - before[0]) / answered * 1000,
        sandbox_ms=(after[1] - before[1]) / answered * 1000,
    )


def measure_side(tree: Path, var: Path, seconds: float) -> dict[str, Load]:
    """Both loads against the service and sandbox of `tree` (its code first on
    the path of every process started)."""
    loads: dict[str, Load] = {}
    for name, delay in (("decisions", 0.0), ("overviews", SOURCE_DELAY)):
        with (
            SandboxProcess(delay=delay, facts_delay=delay, day=DAY, code=tree) as sandbox,
            ServiceProcess(
                var / name,
                env={**_env(DAY), **sandbox.service_env(), "PYTHONPATH": str(tree)},
                workers=WORKERS,
            ) as service,
        ):
            assert sandbox.process is not None
            token = service.token(*CASEWORKER)
            child = README_BODY["resource"]["child_cpr"]  # type: ignore[index]
            decisions = name == "decisions"
            path = (
                "/v1/decisions"
                if decisions
                else f"/v1/children/{child}/overview?purpose=social_case_work"
            )
            loads[name] = _measure(
                service.url + path,
                process_tree(service.pid),
                process_tree(sandbox.process.pid),
                connections=16 if decisions else 50,
                seconds=seconds,
                token=token,
                post=decisions,
            )
    return loads


def _median(loads: list[Load], field: str) -> float:
    return float(statistics.median(float(getattr(load, field)) for load in loads))


def report(base_ref: str, results: dict[str, list[dict[str, Load]]]) -> str:
    lines = [
        f"| load | measure | base ({base_ref}) | this checkout | ratio |",
        "|---|---|---|---|---|",
    ]
    measures = (
        ("service CPU per request, ms", "service_ms"),
        ("sandbox CPU per request, ms", "sandbox_ms"),
        ("requests/s", "rate"),
        ("p50 ms", "p50_ms"),
        ("p99 ms", "p99_ms"),
    )
    for load in ("decisions", "overviews"):
        for label, field in measures:
            base = _median([r[load] for r in results["base"]], field)
            now = _median([r[load] for r in results["now"]], field)
            ratio = now / base if base else float("nan")
            lines.append(f"| {load} | {label} | {base:,.2f} | {now:,.2f} | x{ratio:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="HEAD~1", help="the git ref to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="each load's duration")
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("wrk not found (Debian package wrk)")
    results: dict[str, list[dict[str, Load]]] = {"base": [], "now": []}
    with tempfile.TemporaryDirectory(prefix="hoi-bench-cpu-") as tmp:
        sides = {"base": git_tree(args.base, Path(tmp)), "now": REPOSITORY}
        for r in range(args.rounds):
            for side in ("base", "now") if r % 2 == 0 else ("now", "base"):
                var = Path(tmp) / f"var-{side}-{r}"
                results[side].append(measure_side(sides[side], var, args.seconds))
                print(f"done: round {r + 1}, {side}", flush=True)
    print(f"\nMedians of {args.rounds} rounds, sides alternating.\n")
    print(report(args.base, results))


if __name__ == "__main__":
    main()
