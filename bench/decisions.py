"""Decision latency on the embedded engine and through OPA's REST API, for the
same inputs in the same run, and decision throughput of the HTTP API.

    .venv/bin/python -m bench.decisions [--inputs 200] [--rounds 5] [--requests 2000]
    .venv/bin/python -m bench.decisions --policy-only [--base c3cf1de]

The policy comparison (issue 12, target 1) decides the six categories of the
same inputs with today's policy and with the policy at --base, in the same run:
on regorus's interpreter (JSON both ways, and inline on the calling thread),
which reads every past revision of the policy, and `opa bench` on each built
bundle tree, in the order base, now, now, base; then each policy's fastest of
--rounds on every input, the two policies taking turns, on the interpreter and
on the policy compiled to regorus's virtual machine (the service's engine; the
rows stay empty when a base revision does not compile). It prints the ratio to
the base. The compiled engine is also measured beside the interpreter and OPA in
the "Decisions" table, with the targets.

Inputs are real engine documents assembled from the synthetic pilot population
(every role, consents, objections, blocks, relations). The embedded engine is
the baseline for the engine ratio; the API's own /healthz is the baseline for
the throughput ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from api.settings import Settings
from bench.common import ServiceProcess, bearer_for, git_tree, summary_ms
from engine.base import DECISION_RULE, REVISION_KEY, EngineError
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine, compile_policy
from engine.opa import (
    OpaEngine,
    OpaServer,
    build_bundle,
    bundle_signing_key,
    find_opa,
    verification_key,
)
from policy.catalogue import catalogue
from policy.decision import DecisionRequest
from policy.paths import REGO_DIR
from sandbox.app import build_dev_services

ROLE_ORGS = {
    "municipal_caseworker": ("municipality", "851-family", "social_case_work"),
    "ppr_psychologist": ("municipality", "851-ppr", "special_education_advice"),
    "gp": ("gp_clinic", "gp-laegeklinikken-sulsted", "treatment_preparation"),
    "bup_psychiatrist": ("region_psychiatry", "bup-rn-aalborg-amb", "current_treatment"),
}


def requests(n: int, children: list[str]) -> list[DecisionRequest]:
    rng = random.Random(7)
    made = []
    for i in range(n):
        role = list(ROLE_ORGS)[i % len(ROLE_ORGS)]
        org_type, org, purpose = ROLE_ORGS[role]
        made.append(
            DecisionRequest.model_validate(
                {
                    "subject": {
                        "id": f"user-{i}",
                        "role": role,
                        "organisation": {"type": org_type, "id": org},
                        "health_professional": org_type != "municipality",
                    },
                    "resource": {
                        "child_cpr": rng.choice(children),
                        "categories": list(catalogue().categories),
                    },
                    "context": {"purpose": purpose},
                }
            )
        )
    return made


async def documents(n: int, var_dir: Path) -> tuple[list[dict[str, Any]], list[DecisionRequest]]:
    settings = Settings(var_dir=var_dir, demo_reference_date=date(2026, 11, 26))
    services = build_dev_services(settings, clock=lambda: datetime(2026, 11, 26, 10, tzinfo=UTC))
    try:
        reqs = requests(n, list(services.population.children))
        docs = [await services.pdp.document(r, services.clock()) for r in reqs]
    finally:
        await services.aclose()
    return docs, reqs


async def engine_latency(docs: list[dict[str, Any]], rounds: int, var_dir: Path) -> dict[str, Any]:
    sources = PolicyBundle(REGO_DIR)
    embedded = EmbeddedEngine(sources)
    interpreter = EmbeddedEngine(sources, compiled=False)
    opa = find_opa()
    if opa is None:
        raise SystemExit("opa is needed for the engine comparison (see README)")
    bundle = var_dir / "bundle.tar.gz"
    signing_key = bundle_signing_key(var_dir / "opa-bundle-signing-key.pem")
    build_bundle(opa, sources, bundle, signing_key=signing_key)
    public = verification_key(signing_key, var_dir / "opa-bundle-verification-key.pem")
    results: dict[str, Any] = {}
    token = secrets.token_urlsafe(32)
    with OpaServer(opa, bundle, token=token, verification_key=public) as server:
        remote = OpaEngine(server.url, sources.revision(), token=token, timeout=5)
        for doc in docs[:20]:  # warm all three
            embedded.evaluate_sync(doc)
            interpreter.evaluate_sync(doc)
            await remote.evaluate(doc)
        samples: dict[str, list[int]] = {"embedded": [], "interpreter": [], "opa": []}
        answers: dict[str, list[dict[str, Any]]] = {name: [] for name in samples}
        local = {"embedded": embedded, "interpreter": interpreter}
        mismatches = 0
        for _ in range(rounds):
            # Each engine takes the inputs in a pass of its own, so that one
            # engine's evaluation (and OPA's process) does not cool the other's caches.
            for name, engine in local.items():
                for doc in docs:
                    t0 = time.perf_counter_ns()
                    answers[name].append(engine.evaluate_sync(doc))
                    samples[name].append(time.perf_counter_ns() - t0)
            for doc in docs:
                t0 = time.perf_counter_ns()
                theirs = await remote.evaluate(doc)
                samples["opa"].append(time.perf_counter_ns() - t0)
                theirs.pop(REVISION_KEY, None)  # OPA names the revision it ran
                answers["opa"].append(theirs)
            mismatches += sum(
                ours != reference or ours != theirs
                for ours, reference, theirs in zip(
                    answers["embedded"], answers["interpreter"], answers["opa"], strict=True
                )
            )
            for found in answers.values():
                found.clear()
        await remote.aclose()
        await interpreter.aclose()
    for name, s in samples.items():
        results[name] = summary_ms(s)
    results["mismatches"] = mismatches
    results["evaluations"] = len(samples["embedded"])
    return results


TARGET_OPA_P50_MS = 0.300
OPA_BENCH_SAMPLE = 20
"""`opa bench` runs each input for about a second: every tenth of the 200 inputs."""


def policy_tree(ref: str | None, into: Path) -> Path:
    """The bundle tree (modules, data, generated rules document) of rego/ at a git
    ref, or of the working tree when ref is None."""
    root = REGO_DIR if ref is None else git_tree(ref, into, "rego") / "rego"
    return PolicyBundle(root).write_bundle_tree(into / "tree")


def _regorus(tree: Path) -> Any:
    """A regorus engine holding the policy of a bundle tree."""
    import regorus

    sources = PolicyBundle(tree)
    engine = regorus.Engine()
    engine.set_rego_v0(False)
    for name, text in sources.decision_sources():
        engine.add_policy(name, text)
    engine.add_data_json(json.dumps(sources.data_document()))
    return engine


def _inline_latency(tree: Path, docs: list[dict[str, Any]], rounds: int) -> list[int]:
    """regorus on the calling thread, one engine reused: no thread hop, no JSON
    decode of the answer (the input is encoded, as the engine needs)."""
    engine = _regorus(tree)
    samples = []
    for n in range(rounds + 1):
        for doc in docs:
            t0 = time.perf_counter_ns()
            engine.set_input_json(json.dumps(doc))
            engine.eval_rule(DECISION_RULE)
            if n:  # the first round warms up
                samples.append(time.perf_counter_ns() - t0)
    del engine
    return samples


class Compiled:
    """A policy compiled to RVM bytecode as the service compiles it, with the
    interpreter's calls used here."""

    def __init__(self, modules: list[tuple[str, str]], data: str, rule: str) -> None:
        self._machine = compile_policy(modules, data, rule)["machine"]

    def set_input_json(self, given: str) -> None:
        self._machine.set_input_json(given)

    def eval_rule_as_json(self, _: str) -> str:
        return str(self._machine.execute())

    eval_rule = eval_rule_as_json


def policy_engine(tree: Path, compiled: bool) -> Any:
    """The policy of a bundle tree on regorus's interpreter, or compiled as the
    service runs it (raises EngineError when it does not compile)."""
    if not compiled:
        return _regorus(tree)
    sources = PolicyBundle(tree)
    return Compiled(sources.decision_sources(), json.dumps(sources.data_document()), DECISION_RULE)


def _inline_paired(
    trees: dict[str, Path], docs: list[dict[str, Any]], rounds: int, *, compiled: bool = False
) -> dict[str, list[int]] | None:
    """regorus inline, the policies taking turns on each input, each input's
    fastest of `rounds` evaluations per policy: the ratio least disturbed by
    other work on the shared cores (a burst of load hits both policies' turns
    on the same input, and the minimum drops the evaluations it slowed).
    `compiled`: on the service's engine; None when a policy does not compile (a
    revision from before the compiled engine)."""
    try:
        engines = {label: policy_engine(tree, compiled) for label, tree in trees.items()}
    except EngineError:
        return None
    best = {label: [2**63] * len(docs) for label in trees}
    for n in range(rounds + 1):
        for i, doc in enumerate(docs):
            given = json.dumps(doc)
            for label, engine in engines.items():
                t0 = time.perf_counter_ns()
                engine.set_input_json(given)
                engine.eval_rule(DECISION_RULE)
                if n:  # the first round warms up
                    best[label][i] = min(best[label][i], time.perf_counter_ns() - t0)
    del engines
    return best


def _service_latency(tree: Path, docs: list[dict[str, Any]], rounds: int) -> list[int]:
    """The embedded interpreter as the service called it before the policy was
    compiled (JSON both ways): the comparison of two policies is made on the
    interpreter, which reads every past revision."""
    engine = EmbeddedEngine(PolicyBundle(tree), compiled=False)
    samples = []
    try:
        for n in range(rounds + 1):
            for doc in docs:
                t0 = time.perf_counter_ns()
                engine.evaluate_sync(doc)
                if n:
                    samples.append(time.perf_counter_ns() - t0)
    finally:
        asyncio.run(engine.aclose())
    return samples


def _opa_bench(opa: str, tree: Path, docs: list[dict[str, Any]], work: Path) -> list[int]:
    """`opa bench` (in-process, compiled once) ns/op on a sample of the inputs."""
    found = []
    for n, doc in enumerate(docs[:: max(1, len(docs) // OPA_BENCH_SAMPLE)]):
        given = work / f"input-{n}.json"
        given.write_text(json.dumps(doc), "utf-8")
        done = subprocess.run(
            [
                opa,
                "bench",
                "-b",
                str(tree),
                "--ignore",
                "*_test.rego",
                "-i",
                str(given),
                "--format",
                "json",
                "--benchmem=false",
                "--metrics=false",
                DECISION_RULE,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(done.stdout)
        found.append(int(result["T"]) // max(1, int(result["N"])))  # ns per evaluation
    return found


def policy_comparison(
    docs: list[dict[str, Any]], base: str, rounds: int, work: Path
) -> dict[str, dict[str, dict[str, float]]]:
    """Today's policy and the policy at `base`, measured in the same run, in the
    order base, now, now, base: a change in the machine's load during the run (other
    work on the shared cores) weighs on both policies alike."""
    opa = find_opa()
    trees = {"base": policy_tree(base, work / "base"), "now": policy_tree(None, work / "now")}
    kinds = ("service", "inline", "opa_bench", "inline_paired", "compiled_paired")
    samples: dict[str, dict[str, list[int]]] = {
        label: {kind: [] for kind in kinds} for label in trees
    }
    for label in ("base", "now", "now", "base"):
        tree = trees[label]
        samples[label]["service"] += _service_latency(tree, docs, rounds)
        samples[label]["inline"] += _inline_latency(tree, docs, rounds)
        if opa is not None:
            samples[label]["opa_bench"] += _opa_bench(opa, tree, docs, work / label)
    for kind, compiled in (("inline_paired", False), ("compiled_paired", True)):
        for label, best in (_inline_paired(trees, docs, rounds, compiled=compiled) or {}).items():
            samples[label][kind] = best
    return {
        label: {kind: summary_ms(found) for kind, found in measured.items() if found}
        for label, measured in samples.items()
    }


def print_policy_comparison(
    results: dict[str, dict[str, dict[str, float]]], base: str, inputs: int
) -> None:
    def met(value: float, target: float) -> str:
        return "met" if value <= target else "not met"

    print(
        f"## The policy: six-category decisions on {inputs} inputs, "
        f"today's policy beside {base} (same run: base, now, now, base)"
    )
    print()
    print("| measure | target | now | base | ratio now/base | target met |")
    print("|---|---|---|---|---|---|")
    rows = [
        ("interpreter, JSON both ways, p50 ms", "service", "p50", None),
        ("interpreter, JSON both ways, p99 ms", "service", "p99", None),
        ("interpreter inline (calling thread), p50 ms", "inline", "p50", None),
        ("interpreter inline (calling thread), p99 ms", "inline", "p99", None),
        ("opa bench on the built bundle, p50 ms", "opa_bench", "p50", TARGET_OPA_P50_MS),
        (
            "interpreter inline, turns per input, fastest of rounds, p50 ms",
            "inline_paired",
            "p50",
            None,
        ),
        (
            "interpreter inline, turns per input, fastest of rounds, p99 ms",
            "inline_paired",
            "p99",
            None,
        ),
        (
            "compiled (the service's engine), turns per input, fastest of rounds, p50 ms",
            "compiled_paired",
            "p50",
            None,
        ),
        (
            "compiled (the service's engine), turns per input, fastest of rounds, p99 ms",
            "compiled_paired",
            "p99",
            None,
        ),
    ]
    now, was = results["now"], results["base"]
    for label, kind, stat, target in rows:
        if kind not in now or kind not in was:
            why = "opa not found" if kind == "opa_bench" else "a policy does not compile"
            print(f"| {label} | | {why} | | | |")
            continue
        a, b = now[kind][stat], was[kind][stat]
        goal = f"<= {target:.3f}" if target is not None else ""
        verdict = met(a, target) if target is not None else ""
        print(f"| {label} | {goal} | {a:.3f} | {b:.3f} | {a / b:.2f} | {verdict} |")
    print()


async def _load(
    url: str,
    bodies: list[dict[str, Any]] | None,
    total: int,
    concurrency: int,
    headers: list[dict[str, str]] | None = None,
) -> float:
    """Requests per second for `total` requests at `concurrency`."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if bodies is None:
                response = await client.get(url)
            else:
                n = i % len(bodies)
                response = await client.post(
                    url, json=bodies[n], headers=headers[n] if headers else None
                )
            response.raise_for_status()

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return total / (time.perf_counter() - start)


async def api_throughput(
    reqs: list[DecisionRequest], total: int, var_dir: Path, engine: str
) -> dict[str, float]:
    bodies = [r.model_dump(mode="json", exclude_none=True) for r in reqs]
    with ServiceProcess(var_dir / f"api-{engine}", env={"HOI_ENGINE": engine}) as service:
        await _load(service.url + "/healthz", None, 200, 16)  # warm up
        healthz = await _load(service.url + "/healthz", None, total, 16)
        key = service.var_dir / "dev-signing-key.jwk.json"  # the service made it at start
        headers = [bearer_for(key, body["subject"]) for body in bodies]
        decisions = await _load(service.url + "/v1/decisions", bodies, total, 16, headers)
    return {"healthz_rps": healthz, "decisions_rps": decisions}


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(tmp)
        docs, reqs = await documents(args.inputs, var_dir)
        # On a thread of its own: it runs (and closes) engines outside this event loop.
        compared = await asyncio.to_thread(
            policy_comparison, docs, args.base, args.rounds, var_dir / "policies"
        )
        print_policy_comparison(compared, args.base, len(docs))
        if args.policy_only:
            return
        latency = await engine_latency(docs, args.rounds, var_dir)
        api = {
            engine: await api_throughput(reqs, args.requests, var_dir, engine)
            for engine in ("embedded", "opa")
        }
    emb, opa, ref = latency["embedded"], latency["opa"], latency["interpreter"]
    print(
        f"## Decisions ({latency['evaluations']} evaluations per engine, "
        f"{len(docs)} distinct inputs, all {len(catalogue().categories)} categories each)"
    )
    print()
    print("| engine | p50 ms | p99 ms | mean ms | ratio to embedded (p50) |")
    print("|---|---|---|---|---|")
    print(
        f"| embedded (regorus compiled to RVM bytecode, in-process) | {emb['p50']:.3f} | "
        f"{emb['p99']:.3f} | {emb['mean']:.3f} | 1.00 |"
    )
    print(
        f"| interpreter (regorus, in-process; the reference) | {ref['p50']:.3f} | "
        f"{ref['p99']:.3f} | {ref['mean']:.3f} | {ref['p50'] / emb['p50']:.2f} |"
    )
    print(
        f"| OPA (REST, loopback) | {opa['p50']:.3f} | {opa['p99']:.3f} | {opa['mean']:.3f} "
        f"| {opa['p50'] / emb['p50']:.2f} |"
    )
    print(f"\nDecisions that differed (any of the three engines): {latency['mismatches']}")
    print()
    print(
        f"| API, {args.requests} requests, 16 concurrent | /healthz req/s (baseline) "
        f"| POST /v1/decisions decisions/s | ratio |"
    )
    print("|---|---|---|---|")
    for engine, r in api.items():
        print(
            f"| engine={engine} | {r['healthz_rps']:.0f} | {r['decisions_rps']:.0f} | "
            f"{r['decisions_rps'] / r['healthz_rps']:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inputs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--base", default="c3cf1de", help="the policy to compare with (git ref)")
    parser.add_argument(
        "--policy-only",
        action="store_true",
        help="only the policy comparison (no API, no OPA REST)",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
