"""What a message costs: `POST /v1/correspondence` beside `POST /v1/decisions` in the
same run, and how long a message takes from the 202 to the recipient's
acknowledgement (the relay, the sandbox network, the filing on the case).

    .venv/bin/python -m bench.correspondence [--messages 200] [--concurrency 8]

Runs `hoi sandbox serve` (one worker, its own var folder) in a subprocess and
drives it over HTTP: the README's decision (a caseworker) as the baseline, then a
permitted message (the GP of a seeded child to the family department holding its
case, on the parents' written consent) at the same concurrency. Prints p50/p99 and
throughput of both, their ratio, and the delivery latency (polled every 10 ms, so
it is an upper bound by up to 10 ms)."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import ServiceProcess, percentile

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = json.loads((ROOT / "examples" / "caseworker-psychiatry.json").read_text())
CHILD = "6809144615"
"""Alma of the seeded population: registered at Lægeklinikken Sulsted, an open case in
Aalborg's family department, and both parents' written § 43 consent to it."""
MESSAGE = {
    "child_cpr": CHILD,
    "write_to": "org/851/unit/851-family",
    "topic": "coordination",
    "title": "Bench message",
    "text": "A synthetic message from the bench.",
}


async def _timed(
    total: int, concurrency: int, call: Callable[[int], Awaitable[Any]]
) -> tuple[list[float], float, list[Any]]:
    """Run `call(i)` for i < total, `concurrency` at a time: latencies (s), wall time, results."""
    latencies: list[float] = []
    results: list[Any] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            start = time.perf_counter()
            results.append(await call(i))
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began, results


def _row(name: str, latencies: list[float], wall: float) -> dict[str, float | str]:
    return {
        "what": name,
        "n": len(latencies),
        "per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


async def _delivery(client: httpx.AsyncClient, url: str, ids: list[str]) -> list[float]:
    """Seconds from now until each message reads `delivered` (ids sent just before)."""
    start = time.perf_counter()
    waiting = set(ids)
    done: list[float] = []
    while waiting and time.perf_counter() - start < 120:
        for message_id in sorted(waiting):
            status = (await client.get(f"{url}/v1/correspondence/{message_id}")).json()
            if status["status"] != "pending":
                assert status["status"] == "delivered", status
                waiting.discard(message_id)
                done.append(time.perf_counter() - start)
        await asyncio.sleep(0.01)
    if waiting:
        raise RuntimeError(f"{len(waiting)} messages were not delivered in 120 s")
    return done


async def run(service: ServiceProcess, messages: int, concurrency: int) -> list[dict[str, Any]]:
    caseworker = service.token("municipal_caseworker", "851-family", "cw-851-family-1")
    gp = service.token("gp", "gp-laegeklinikken-sulsted", "gp-bench", health_professional=True)
    limits = httpx.Limits(max_connections=concurrency)
    async with (
        httpx.AsyncClient(headers={"Authorization": f"Bearer {caseworker}"}, limits=limits) as cw,
        httpx.AsyncClient(headers={"Authorization": f"Bearer {gp}"}, limits=limits) as sender,
    ):

        async def decide(_: int) -> None:
            answer = await cw.post(f"{service.url}/v1/decisions", json=EXAMPLE)
            assert answer.status_code == 200, answer.text

        async def send(_: int) -> str:
            answer = await sender.post(f"{service.url}/v1/correspondence", json=MESSAGE)
            assert answer.status_code == 202, answer.text
            message_id: str = answer.json()["message_id"]
            return message_id

        await _timed(20, concurrency, decide)  # warm both paths
        await _timed(5, 1, send)
        decided, decided_wall, _ = await _timed(messages, concurrency, decide)
        sent, sent_wall, ids = await _timed(messages, concurrency, send)
        drained = max(await _delivery(sender, service.url, ids))  # all sent under load arrive
        # Then one at a time, for the latency from 202 to the acknowledgement.
        single: list[float] = []
        for _ in range(min(messages, 50)):
            (message_id,) = (await _timed(1, 1, send))[2]
            single += await _delivery(sender, service.url, [message_id])
    rows: list[dict[str, Any]] = [
        _row("POST /v1/decisions (baseline)", decided, decided_wall),
        _row("POST /v1/correspondence", sent, sent_wall),
    ]
    rows[1]["ratio_p50"] = round(float(rows[1]["p50_ms"]) / float(rows[0]["p50_ms"]), 2)
    rows.append(
        {"what": "the load's messages all delivered, after the last 202", "s": round(drained, 2)}
    )
    rows.append(
        {
            "what": "202 -> delivered (one at a time)",
            "n": len(single),
            "p50_ms": round(percentile(single, 50) * 1000, 1),
            "p99_ms": round(percentile(single, 99) * 1000, 1),
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="hoi-bench-mail-") as var,
        ServiceProcess(Path(var), {"HOI_HANDBOOK_AT_START": "false"}) as service,
    ):
        rows = asyncio.run(run(service, args.messages, args.concurrency))
    print(f"concurrency {args.concurrency}, {args.messages} of each, one worker, same run")
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
