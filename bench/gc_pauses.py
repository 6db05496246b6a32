"""Python's garbage collections while the service decides under load.

    .venv/bin/python -m bench.gc_pauses [--decisions 1920] [--concurrency 16]

The whole FastAPI app in-process (httpx's ASGI transport, no network, the real
audit log), the README's decision from `--concurrency` clients at a time. Every
collection is timed with `gc.callbacks`; the table gives, per generation, how many
ran, their time in all and the longest, beside the decisions' p50 and p99 and
the number of objects the collector tracks at the end (what a full collection
walks). A full collection stops every request in the process, so its longest
pause shows up in p99: this is how the audit log's cache of decision models
(4,096 records, about 390,000 objects, pauses over 100 ms) was found (BENCHMARKS.md,
s29).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from api.settings import Settings
from bench.common import bearer_for, percentile
from bench.targets import CASEWORKER, README_BODY
from sandbox.app import create_app


class Pauses:
    """Each collection's duration, by generation, while installed."""

    def __init__(self) -> None:
        self.by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.by_generation[info["generation"]].append(time.perf_counter() - self._started)


async def run(decisions: int, concurrency: int) -> tuple[Pauses, list[float], float, int]:
    with tempfile.TemporaryDirectory(prefix="hoi-bench-gc-") as tmp:
        settings = Settings(environment="test", var_dir=Path(tmp))
        app = create_app(settings)
        role, organisation, subject = CASEWORKER
        caller = {"type": "municipality", "id": organisation}
        headers = bearer_for(
            settings.resolved_dev_key_file,
            {"id": subject, "role": role, "organisation": caller},
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
            ) as client,
        ):
            latencies: list[float] = []

            async def one() -> None:
                started = time.perf_counter()
                response = await client.post("/v1/decisions", json=README_BODY)
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

            for _ in range(50):  # warm-up: engines, caches, connections
                await one()
            latencies.clear()
            pauses = Pauses()
            gc.callbacks.append(pauses)
            try:
                started = time.perf_counter()
                for _ in range(decisions // concurrency):
                    await asyncio.gather(*(one() for _ in range(concurrency)))
                wall = time.perf_counter() - started
            finally:
                gc.callbacks.remove(pauses)
            gc.collect()
            tracked = len(gc.get_objects())
    return pauses, latencies, wall, tracked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=1920)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    pauses, latencies, wall, tracked = asyncio.run(run(args.decisions, args.concurrency))
    ms = [t * 1000 for t in latencies]
    print(
        f"{len(ms)} decisions, {args.concurrency} at a time: {len(ms) / wall:,.0f}/s, "
        f"p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms; "
        f"objects tracked by the collector at the end: {tracked:,}\n"
    )
    print("| generation | collections | time in all, ms | longest, ms |")
    print("|---|---|---|---|")
    for generation, found in pauses.by_generation.items():
        total = sum(found) * 1000
        longest = max(found, default=0.0) * 1000
        print(f"| {generation} | {len(found)} | {total:.1f} | {longest:.1f} |")


if __name__ == "__main__":
    main()
