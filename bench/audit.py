"""Decision throughput with and without the audit trail, in the same run.

Each round serves the same decision requests through the whole FastAPI app
in-process (httpx's ASGI transport, no network), from CONCURRENCY concurrent
clients, once with the real audit log (group commit to SQLite in WAL mode with
synchronous=FULL, a durable commit before each answer) and once with the audit
call replaced by a no-op. Rounds alternate (ABBA) so drift and other load
on the machine hit both alike; the medians of the rounds are reported, and the
ratio is the median of the per-round ratios (each pair ran back to back).

    python -m bench.audit [--requests 800] [--concurrency 32] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from api.settings import Settings
from audit.models import Receipt
from bench.common import bearer_for
from sandbox.app import create_app
from sandbox.population import population


class NoAudit:
    """The baseline: the audit call returns at once and writes nothing."""

    batches = 0
    records = 0

    async def record_decision(self, *args: Any, **kwargs: Any) -> Receipt:
        return Receipt(seq=0, hash="")

    async def aclose(self) -> None:
        return None


def _bodies(day: Any) -> list[dict[str, Any]]:
    children = list(population(day).children)[:40]
    roles = [
        ("cw-851-family-1", "municipal_caseworker", "municipality", "851-family"),
        ("ppr-851-1", "ppr_psychologist", "municipality", "851-ppr"),
        ("bup-1", "bup_psychiatrist", "region_psychiatry", "bup-rn-aalborg-amb"),
    ]
    bodies = []
    for n, cpr in enumerate(children):
        sid, role, org_type, org = roles[n % len(roles)]
        bodies.append(
            {
                "subject": {
                    "id": sid,
                    "role": role,
                    "organisation": {"type": org_type, "id": org},
                    "health_professional": org_type == "region_psychiatry",
                },
                "resource": {
                    "child_cpr": cpr,
                    "categories": ["psychiatry_appointments", "psychiatry_contacts"],
                },
                "context": {
                    "purpose": "current_treatment"
                    if org_type == "region_psychiatry"
                    else "social_case_work"
                },
            }
        )
    return bodies


async def _round(
    app: FastAPI,
    bodies: list[dict[str, Any]],
    requests: int,
    concurrency: int,
    headers: list[dict[str, str]],
) -> tuple[float, float]:
    """Decisions per second (wall clock), and CPU µs per decision (all our threads)."""
    transport = httpx.ASGITransport(app=app)
    counter = iter(range(requests))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def worker() -> None:
            for n in counter:
                i = n % len(bodies)
                response = await client.post("/v1/decisions", json=bodies[i], headers=headers[i])
                if response.status_code != 200:
                    raise RuntimeError(response.text)

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        return requests / wall, used / requests * 1e6


async def main_async(requests: int, concurrency: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hoi-bench-") as tmp:
        settings = Settings(environment="test", var_dir=Path(tmp))
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            services = app.state.services
            real = services.audit
            bodies = _bodies(services.population.reference_date)
            key = settings.resolved_dev_key_file
            headers = [bearer_for(key, body["subject"]) for body in bodies]
            await _round(app, bodies, 200, concurrency, headers)  # warm-up, audited
            without: list[float] = []
            with_audit: list[float] = []
            cpu: dict[bool, list[float]] = {False: [], True: []}
            batches, records = real.batches, real.records
            for n in range(rounds):
                # ABBA order: neither mode always runs first.
                for audited in (False, True) if n % 2 == 0 else (True, False):
                    services.audit = real if audited else NoAudit()
                    rate, cpu_us = await _round(app, bodies, requests, concurrency, headers)
                    (with_audit if audited else without).append(rate)
                    cpu[audited].append(cpu_us)
            services.audit = real
            batch_size = (real.records - records) / max(1, real.batches - batches)
    base, with_median = statistics.median(without), statistics.median(with_audit)
    # Each round's pair ran back to back; the median of the pair ratios is
    # the least disturbed by other load on the machine.
    pair_ratios = [w / b for w, b in zip(with_audit, without, strict=True)]
    return {
        "without_audit_rps": base,
        "with_audit_rps": with_median,
        "ratio": statistics.median(pair_ratios),
        "mean_batch": batch_size,
        "cpu_us_without": statistics.median(cpu[False]),
        "cpu_us_with": statistics.median(cpu[True]),
        "rounds_without": without,
        "rounds_with": with_audit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    result = asyncio.run(main_async(args.requests, args.concurrency, args.rounds))
    print(
        f"decisions/s without audit: {result['without_audit_rps']:.0f}  "
        f"with audit: {result['with_audit_rps']:.0f}  "
        f"ratio (median of paired rounds): {result['ratio']:.2f}  "
        f"(mean group commit: {result['mean_batch']:.1f} records; "
        f"{args.requests} requests x {args.rounds} rounds, concurrency {args.concurrency})"
    )
    print(
        f"CPU per decision (process time, all threads): without audit "
        f"{result['cpu_us_without']:.0f} us, with audit {result['cpu_us_with']:.0f} us"
    )
    print(
        "rounds without:",
        [round(x) for x in result["rounds_without"]],
        "with:",
        [round(x) for x in result["rounds_with"]],
    )


if __name__ == "__main__":
    main()
