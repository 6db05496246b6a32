"""The compiled embedded engine (regorus's RVM) decides as the interpreter does.

The service runs the policy compiled to bytecode; the interpreter is the
reference (it agrees with OPA, tests/engine/test_engines_agree.py). Every
situation of the impact corpus and every handbook scenario's question is
decided by both and must give the identical answer, reasons and words
included. A construct the compiler gets wrong is refused when the policy loads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from engine.base import EngineError
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine, _engines_here
from handbook.scenarios import load_scenarios
from policy.paths import REGO_DIR
from sandbox.corpus import corpus, scenario_situations


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[EmbeddedEngine, EmbeddedEngine]]:
    compiled = EmbeddedEngine(PolicyBundle(REGO_DIR))
    interpreted = EmbeddedEngine(PolicyBundle(REGO_DIR), compiled=False)
    yield compiled, interpreted
    for engine in (compiled, interpreted):
        asyncio.run(engine.aclose())


def _documents() -> list[dict[str, Any]]:
    situations = corpus().situations + scenario_situations(load_scenarios())
    return [s.document for s in situations]


def test_compiled_and_interpreted_decide_alike_on_the_corpus(
    engines: tuple[EmbeddedEngine, EmbeddedEngine],
) -> None:
    compiled, interpreted = engines
    documents = _documents()
    differing = [
        n
        for n, document in enumerate(documents)
        if compiled.evaluate_sync(document) != interpreted.evaluate_sync(document)
    ]
    assert len(documents) > 4000
    assert differing == []


def _module(tmp_path: Path, body: str) -> PolicyBundle:
    root = tmp_path / "rego"
    (root / "hoi" / "decision").mkdir(parents=True)
    (root / "hoi" / "decision" / "decision.rego").write_text("package hoi.decision\n\n" + body)
    return PolicyBundle(root)


def _policy_with(tmp_path: Path, extra: str) -> PolicyBundle:
    return _module(tmp_path, extra + 'result := {"answer": f(input.x)}\n')


DEFAULT_FUNCTION = 'default f(_) := "by default"\n\nf(x) := "given" if x == 1\n\n'


def test_a_default_function_value_is_refused_by_the_compiled_engine(tmp_path: Path) -> None:
    bundle = _policy_with(tmp_path, DEFAULT_FUNCTION)
    # The interpreter applies the default, as OPA does ...
    interpreted = EmbeddedEngine(bundle, compiled=False)
    assert interpreted.evaluate_sync({"x": 2})["answer"] == "by default"
    # ... the compiler would not (the call would be undefined), so the policy
    # is refused where it loads, naming the line.
    with pytest.raises(EngineError, match=r"decision\.rego:3 declares a default function value"):
        EmbeddedEngine(bundle)


def test_the_same_function_ended_with_else_compiles_and_decides(tmp_path: Path) -> None:
    bundle = _policy_with(tmp_path, 'f(x) := "given" if {\n\tx == 1\n} else := "by default"\n\n')
    compiled = EmbeddedEngine(bundle)
    assert compiled.evaluate_sync({"x": 2})["answer"] == "by default"
    assert compiled.evaluate_sync({"x": 1})["answer"] == "given"


class _Broken:
    def set_input_json(self, _: str) -> None:
        raise RuntimeError("error: the machine broke")


def test_a_failed_run_is_an_error_and_the_next_decision_gets_a_fresh_machine(
    tmp_path: Path,
) -> None:
    bundle = _policy_with(tmp_path, 'f(x) := "given" if {\n\tx == 1\n} else := "by default"\n\n')
    compiled = EmbeddedEngine(bundle)
    state = _engines_here()[compiled._policy.key]
    state["machine"] = _Broken()
    with pytest.raises(EngineError, match="evaluation failed: the machine broke"):
        compiled.evaluate_sync({"x": 1})
    assert compiled.evaluate_sync({"x": 1})["answer"] == "given"


def test_an_undefined_decision_is_an_error(tmp_path: Path) -> None:
    compiled = EmbeddedEngine(_policy_with(tmp_path, 'f(x) := "given" if x == 1\n\n'))
    with pytest.raises(EngineError, match="undefined"):
        compiled.evaluate_sync({"x": 2})


def test_a_decision_beyond_the_machines_budget_is_made_by_the_interpreter(
    tmp_path: Path,
) -> None:
    """regorus's virtual machine stops after 25,000 instructions; such a decision
    (a child with a couple of hundred consents and blocks) gets the interpreter's
    answer, not an error, and the metric counts it."""
    compiled = EmbeddedEngine(
        _module(
            tmp_path,
            'result := {"answer": count([x | some x in numbers.range(1, input.n); x % 7 == 0])}\n',
        )
    )
    before = _interpreted()
    assert compiled.evaluate_sync({"n": 70})["answer"] == 10
    assert _interpreted() == before
    assert compiled.evaluate_sync({"n": 70_000})["answer"] == 10_000
    assert _interpreted() == before + 1
    assert compiled.evaluate_sync({"n": 70})["answer"] == 10  # the machine is whole again


def _interpreted() -> float:
    return REGISTRY.get_sample_value("hoi_engine_interpreted_total") or 0.0


def test_an_input_as_large_as_one_that_spent_the_budget_goes_to_the_interpreter_at_once(
    tmp_path: Path,
) -> None:
    compiled = EmbeddedEngine(
        _module(tmp_path, 'result := {"answer": count([x | some x in input.items; x % 7 == 0])}\n')
    )
    state = _engines_here()[compiled._policy.key]
    big = {"items": list(range(70_000))}
    assert compiled.evaluate_sync(big)["answer"] == 10_000
    machine = state["machine"]
    state["machine"] = _Broken()  # a run on the machine would fail now
    larger = {"items": list(range(80_000))}
    assert compiled.evaluate_sync(larger)["answer"] == 80_000 // 7 + 1
    state["machine"] = machine
    assert compiled.evaluate_sync({"items": [7, 14, 15]})["answer"] == 2  # small: compiled
