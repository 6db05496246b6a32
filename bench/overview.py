"""Overview latency with sandbox sources that answer after a fixed delay, and the
broker's overhead above the slowest source.

    python -m bench.overview [--delay 0.05] [--requests 1000] [--concurrency 50]

Three processes on loopback: the sandbox sources (`python -m sandbox.server`,
every data source waits `--delay`), the service (`hoi sandbox serve`, embedded engine)
and this load generator. In the same run it measures the baseline: the same
load sent straight to one sandbox source, which is what a caller would pay for
the slowest source alone. The broker's overhead is the overview's latency
minus that baseline, at p50 and p99. Two set-ups:

- `facts fast`: the sources the policy reads (CPR, relations) answer at once,
  so one data-source wait is the only wait: overhead = everything we add.
- `facts slow`: they wait `--delay` too. A decision reads CPR and then the
  relation evidence before the data fan-out, so the critical path holds three
  source waits; overheads are reported above three waits.

"Overview minus source waits" subtracts the fixed delay (x waits);
"overview minus direct" subtracts the direct call's measured latency (x waits),
which also removes what the sandbox itself costs under the same load.
"Partial answers" counts overviews where a source or the decision did not
answer in time (fail closed: withheld, never an error page).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from bench.common import bearer_for
from sandbox.population import population

DAY = date(2026, 11, 26)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@dataclass
class Result:
    label: str
    latencies: list[float]
    wall: float
    failures: int = 0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return self.pct(0.99)


async def _load(
    label: str, call: Callable[[httpx.AsyncClient], Awaitable[None]], n: int, concurrency: int
) -> Result:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        await call(client)  # warm up connections and caches

        async def one() -> None:
            async with gate:
                start = time.perf_counter()
                await call(client)
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        wall = time.perf_counter() - started
    return Result(label, latencies, wall)


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


async def run_setup(
    delay: float, facts_delay: float, n: int, concurrency: int, var: Path
) -> tuple[Result, Result]:
    sandbox_port, service_port = _free_port(), _free_port()
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    sandbox = _start(
        [
            sys.executable,
            "-m",
            "sandbox.server",
            "--port",
            str(sandbox_port),
            "--delay",
            str(delay),
            "--facts-delay",
            str(facts_delay),
            "--date",
            DAY.isoformat(),
        ],
        env,
    )
    service_env = {
        **env,
        "HOI_ENVIRONMENT": "test",
        "HOI_VAR_DIR": str(var),
        "HOI_DEMO_REFERENCE_DATE": DAY.isoformat(),
        "HOI_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
    }
    service = _start(
        [sys.executable, "-m", "cli.main", "sandbox", "serve", "--port", str(service_port)],
        service_env,
    )
    try:
        _wait(f"http://127.0.0.1:{sandbox_port}/stil/enrolments?cpr=0")
        _wait(f"http://127.0.0.1:{service_port}/readyz")
        children = list(population(DAY).children)
        gp_child = children[3]
        gp = population(DAY).children[gp_child].record.registered_gp or ""
        params = {"purpose": "treatment_preparation"}
        headers = bearer_for(
            var / "dev-signing-key.jwk.json",
            {
                "id": "gp-bench",
                "role": "gp",
                "organisation": {"type": "gp_clinic", "id": gp},
                "health_professional": True,
            },
        )
        failures: list[dict[str, object]] = []
        overview_url = f"http://127.0.0.1:{service_port}/v1/children/{gp_child}/overview"
        source_url = f"http://127.0.0.1:{sandbox_port}/fk-sag/cases"

        async def overview(client: httpx.AsyncClient) -> None:
            response = await client.get(overview_url, params=params, headers=headers)
            body = response.json()
            assert response.status_code == 200, body
            unanswered = {"engine_error", "missing_fact", "disclosure_not_recorded"}
            codes = {r["code"] for w in body["withheld"].values() for r in w["reasons"]}
            if codes & unanswered or any(s["status"] != "ok" for s in body["sources"]):
                failures.append(body)

        async def direct(client: httpx.AsyncClient) -> None:
            response = await client.get(source_url, params={"child": gp_child})
            assert response.status_code == 200

        baseline = await _load("one source, direct", direct, n, concurrency)
        measured = await _load("overview", overview, n, concurrency)
        measured.failures = len(failures)
        return baseline, measured
    finally:
        _stop(service)
        _stop(sandbox)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def main_async(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        setups = [("facts fast", 0.0, 1), ("facts slow", args.delay, 3)]
        for concurrency in (1, args.concurrency):
            n = args.requests if concurrency > 1 else max(50, args.requests // 10)
            for label, facts_delay, waits in setups:
                var = Path(tmp) / f"var-{label.replace(' ', '-')}-{concurrency}"
                baseline, measured = await run_setup(args.delay, facts_delay, n, concurrency, var)
                fixed = args.delay * waits
                rows.append(
                    (
                        label,
                        concurrency,
                        n,
                        f"{_ms(baseline.p50)} / {_ms(baseline.p99)}",
                        f"{_ms(measured.p50)} / {_ms(measured.p99)}",
                        f"{_ms(measured.p50 - fixed)} / {_ms(measured.p99 - fixed)}",
                        f"{_ms(measured.p50 - waits * baseline.p50)} / "
                        f"{_ms(measured.p99 - waits * baseline.p99)}",
                        f"{measured.p50 / (waits * baseline.p50):.2f}",
                        f"{n / measured.wall:.0f}",
                        str(measured.failures),
                    )
                )
                print(f"done: {label}, concurrency {concurrency}", file=sys.stderr, flush=True)
    print(f"\nSource delay {_ms(args.delay)} ms; times in ms.\n")
    print(
        "| set-up | concurrency | requests | one source direct p50 / p99 | overview p50 / p99 "
        "| overview minus source waits p50 / p99 | overview minus direct p50 / p99 "
        "| overview / direct (p50) | overviews/s | partial answers |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.overview", description=__doc__)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each source waits")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
