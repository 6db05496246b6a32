"""Where the embedded engine's time goes: its cost per rule, call and item, and by category.

    .venv/bin/python -m bench.engine_cost [--inputs 200] [--rounds 5]

Two measurements, in the same run, on regorus inline (one engine reused, the
input set for each evaluation), each on the interpreter and on the policy
compiled to regorus's virtual machine (the service's engine), side by side:

1. The engine's cost model, on toy policies: a policy whose decision reads one
   rule (the baseline), then 100 distinct rules, 100 calls of one function, 100
   distinct functions, 100 items of one comprehension, 100 entries of a partial
   object. Printed as microseconds per unit above the baseline.
2. Today's policy: how many of its lines a decision on every category evaluates
   (regorus's coverage report), and its time by the categories asked (none,
   each one alone, all of them) on the bench inputs: what asking anything costs
   before the first category's own work, and what each further one adds.

Inputs are the engine documents of bench.decisions (every role, the pilot
population's consents, objections, blocks and relations).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import regorus

from bench.common import percentile
from bench.decisions import Compiled, _regorus, documents, policy_engine, policy_tree
from engine.base import DECISION_RULE

UNITS = 100
KINDS = ("interpreter", "compiled")


def _toy_engine(policy: str, compiled: bool) -> Any:
    if compiled:
        return Compiled([("toy.rego", policy)], "{}", "data.toy.result")
    engine = regorus.Engine()
    engine.set_rego_v0(False)
    engine.add_policy("toy.rego", policy)
    return engine


def _median_us(evaluate: Callable[[], object], rounds: int) -> float:
    for _ in range(50):
        evaluate()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        evaluate()
        samples.append(time.perf_counter_ns() - start)
    return percentile(samples, 50) / 1000


def toy_costs(compiled: bool, rounds: int = 2000) -> dict[str, float]:
    """Microseconds per unit above a one-rule baseline, by kind of unit."""
    items = ",\n".join
    policies = {
        "baseline": "package toy\nresult := [input.x]\n",
        "rule": "package toy\n"
        + "\n".join(f"r{i} := input.x + {i}" for i in range(UNITS))
        + "\nresult := [\n"
        + items(f"r{i}" for i in range(UNITS))
        + "\n]\n",
        "call of one function": "package toy\nf(y, i) := y + i\n"
        f"result := [z | some i in numbers.range(1, {UNITS}); z := f(input.x, i)]\n",
        "distinct function": "package toy\n"
        + "\n".join(f"f{i}(y) := y + {i}" for i in range(UNITS))
        + "\nresult := [\n"
        + items(f"f{i}(input.x)" for i in range(UNITS))
        + "\n]\n",
        "comprehension item": "package toy\n"
        f"result := [z | some i in numbers.range(1, {UNITS}); z := input.x + i]\n",
        "partial object entry": "package toy\nr[i] := v if {\n\tsome i in "
        f"numbers.range(1, {UNITS})\n\tv := input.x + i\n}}\n"
        f"result := [z | some i in numbers.range(1, {UNITS}); z := r[i]]\n",
    }
    given = json.dumps({"x": 1})
    timed: dict[str, float] = {}
    for name, policy in policies.items():
        engine = _toy_engine(policy, compiled)

        def evaluate(engine: Any = engine) -> object:
            engine.set_input_json(given)
            return engine.eval_rule("data.toy.result")

        timed[name] = _median_us(evaluate, rounds)
    base = timed.pop("baseline")
    return {"baseline_us": base} | {name: (t - base) / UNITS for name, t in timed.items()}


def _fastest_per_input(engine: Any, inputs: list[str], rounds: int) -> list[float]:
    best = [float("inf")] * len(inputs)
    for n in range(rounds + 1):
        for i, given in enumerate(inputs):
            start = time.perf_counter_ns()
            engine.set_input_json(given)
            engine.eval_rule_as_json(DECISION_RULE)
            if n:  # the first round warms up
                best[i] = min(best[i], (time.perf_counter_ns() - start) / 1000)
    return best


def _asking(docs: list[dict[str, Any]], categories: list[str]) -> list[str]:
    asked = []
    for doc in docs:
        changed = copy.deepcopy(doc)
        changed["resource"]["categories"] = categories
        asked.append(json.dumps(changed))
    return asked


def by_categories(
    tree: Path, docs: list[dict[str, Any]], rounds: int, compiled: bool
) -> dict[str, float]:
    """p50 of the fastest evaluation per input, asking none, each alone, all."""
    engine = policy_engine(tree, compiled)
    every = list(docs[0]["resource"]["categories"])
    asked = {"none": [], **{c: [c] for c in every}, f"all {len(every)}": every}
    return {
        name: percentile(_fastest_per_input(engine, _asking(docs, cats), rounds), 50)
        for name, cats in asked.items()
    }


def lines_evaluated(tree: Path, docs: list[dict[str, Any]]) -> float:
    """Median number of policy lines a decision evaluates (regorus's coverage)."""
    engine = _regorus(tree)
    engine.set_enable_coverage(True)
    counts = []
    for doc in docs:
        engine.clear_coverage_data()
        engine.set_input_json(json.dumps(doc))
        engine.eval_rule_as_json(DECISION_RULE)
        report = json.loads(engine.get_coverage_report_as_json())
        counts.append(sum(len(f.get("covered", [])) for f in report["files"]))
    return percentile(counts, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inputs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hoi-engine-cost-") as tmp:
        docs, _ = asyncio.run(documents(args.inputs, Path(tmp) / "var"))
        tree = policy_tree(None, Path(tmp))
        toys = {kind: toy_costs(kind == "compiled") for kind in KINDS}
        bases = ", ".join(f"{kind} {toys[kind].pop('baseline_us'):.1f} us" for kind in KINDS)
        print(f"regorus, toy policies, us each above the baseline ({bases}):")
        print(f"  {'':24s} {KINDS[0]:>11s} {KINDS[1]:>9s}")
        for name in toys["interpreter"]:
            print(f"  {name:24s} {toys['interpreter'][name]:11.2f} {toys['compiled'][name]:9.2f}")
        lines = lines_evaluated(tree, docs)
        print(f"today's policy: a decision on every category evaluates {lines:.0f} lines (median)")
        print("today's policy, p50 of the fastest of each input in us, by categories asked:")
        timed = {kind: by_categories(tree, docs, args.rounds, kind == "compiled") for kind in KINDS}
        print(f"  {'':24s} {KINDS[0]:>11s} {KINDS[1]:>9s}")
        for name in timed["interpreter"]:
            print(f"  {name:24s} {timed['interpreter'][name]:11.1f} {timed['compiled'][name]:9.1f}")


if __name__ == "__main__":
    main()
