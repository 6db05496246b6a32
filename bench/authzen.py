"""What authentication and the AuthZEN API cost, measured in the same run.

    .venv/bin/python -m bench.authzen [--evaluations 100] [--rounds 5]

- Token verification (ES256 signature, issuer, audience, lifetime, claims) per
  request, against the CPU one decision costs through the native API.
- One `POST /access/v1/evaluations` carrying N evaluations, against N calls of
  `POST /access/v1/evaluation` and N calls of the native `POST /v1/decisions`
  (the baseline), for the same questions. Every decision is audited in all three.

The app runs in-process (httpx ASGI transport, no network) on the embedded engine
with the synthetic pilot population, like bench.audit.
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

from api.settings import Settings
from bench.common import bearer_for
from sandbox.app import create_app
from sandbox.population import population

CASEWORKER = {
    "id": "cw-851-family-1",
    "role": "municipal_caseworker",
    "organisation": {"type": "municipality", "id": "851-family"},
}
CATEGORIES = ["psychiatry_appointments", "psychiatry_contacts", "school_daycare"]


def questions(children: list[str], n: int) -> list[tuple[str, str]]:
    return [(children[i % len(children)], CATEGORIES[i % len(CATEGORIES)]) for i in range(n)]


def native(cpr: str, category: str) -> dict[str, Any]:
    return {
        "resource": {"child_cpr": cpr, "categories": [category]},
        "context": {"purpose": "social_case_work"},
    }


def evaluation(cpr: str, category: str) -> dict[str, Any]:
    return {
        "subject": {"type": "user", "id": CASEWORKER["id"]},
        "resource": {"type": "child", "id": cpr, "properties": {"category": category}},
        "action": {"name": "view"},
        "context": {"purpose": "social_case_work"},
    }


async def _timed(client: httpx.AsyncClient, calls: list[tuple[str, dict[str, Any]]]) -> float:
    start = time.perf_counter()
    for path, body in calls:
        response = await client.post(path, json=body)
        response.raise_for_status()
    return time.perf_counter() - start


async def main_async(n: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hoi-bench-") as tmp:
        settings = Settings(environment="test", var_dir=Path(tmp))
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            services = app.state.services
            children = list(population(services.population.reference_date).children)[:40]
            asked = questions(children, n)
            headers = bearer_for(settings.resolved_dev_key_file, CASEWORKER)
            token = headers["Authorization"].split(" ", 1)[1]

            verify_ns = []
            for _ in range(2000):
                start = time.perf_counter_ns()
                await services.verifier.verify(token)
                verify_ns.append(time.perf_counter_ns() - start)

            plans = {
                "native": [("/v1/decisions", native(c, k)) for c, k in asked],
                "single": [("/access/v1/evaluation", evaluation(c, k)) for c, k in asked],
                "batch": [
                    (
                        "/access/v1/evaluations",
                        {"evaluations": [evaluation(c, k) for c, k in asked]},
                    )
                ],
            }
            transport = httpx.ASGITransport(app=app)
            times: dict[str, list[float]] = {name: [] for name in plans}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers, timeout=60
            ) as client:
                for plan in plans.values():  # warm-up
                    await _timed(client, plan)
                for r in range(rounds):
                    order = list(plans) if r % 2 == 0 else list(reversed(plans))
                    for name in order:
                        times[name].append(await _timed(client, plans[name]))
    per_decision_us = statistics.median(times["native"]) / n * 1e6
    return {
        "verify_us": statistics.median(verify_ns) / 1e3,
        "native_us_per_decision": per_decision_us,
        "native_ms": statistics.median(times["native"]) * 1e3,
        "single_ms": statistics.median(times["single"]) * 1e3,
        "batch_ms": statistics.median(times["batch"]) * 1e3,
        "rounds": {k: [round(t * 1e3) for t in v] for k, v in times.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(main_async(args.evaluations, args.rounds))
    n = args.evaluations
    print(
        f"token verification: {result['verify_us']:.0f} us per request "
        f"({result['verify_us'] / result['native_us_per_decision']:.1%} of a native "
        f"decision's {result['native_us_per_decision']:.0f} us wall time)"
    )
    print(
        f"{n} questions: native {n} calls {result['native_ms']:.0f} ms (baseline), "
        f"AuthZEN {n} calls {result['single_ms']:.0f} ms "
        f"(x{result['single_ms'] / result['native_ms']:.2f}), "
        f"AuthZEN one batch {result['batch_ms']:.0f} ms "
        f"(x{result['batch_ms'] / result['native_ms']:.2f})"
    )
    print(f"rounds (ms): {result['rounds']}")


if __name__ == "__main__":
    main()
