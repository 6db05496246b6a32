"""Embedded backend: Microsoft's regorus, in-process.

By default the policy is compiled to regorus's virtual machine (RVM) bytecode
once per thread and each decision runs the compiled program (about 2.5 times
faster than the interpreter on our decisions, bench/engine_cost.py). The
interpreter stays available (`compiled=False`): it is the reference the
compiled program is tested against (tests/engine/test_compiled.py), and the
impact report reads old revisions of the policy with it.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import orjson
import regorus
from regorus import regorus as native

from engine.base import DECISION_RULE, NONCE_KEY, REVISION_KEY, EngineError
from engine.bundle import PolicyBundle
from metrics.instruments import INTERPRETED


def _first_line(exc: BaseException) -> str:
    """regorus errors carry a Rust backtrace; keep the message."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    message = next((line for line in lines if line.startswith("error:")), lines[0] if lines else "")
    return message.removeprefix("error:").strip() or type(exc).__name__


def _load(modules: list[tuple[str, str]], data: str) -> dict[str, Any]:
    """A pristine engine (the template) and a working copy, built on this thread."""
    engine = regorus.Engine()
    engine.set_rego_v0(False)
    problem = None
    try:
        for name, text in modules:
            engine.add_policy(name, text)
        engine.add_data_json(data)
    except Exception as exc:  # regorus raises plain RuntimeError/ValueError
        problem = _first_line(exc)
    if problem is not None:
        del engine  # dropped here, on its own thread
        raise EngineError(f"policy failed to load: {problem}")
    return {"template": engine, "engine": engine.clone()}  # type: ignore[attr-defined]


def _evaluate_with(state: dict[str, Any], document_json: str) -> str:
    # One working engine is reused for every decision: a fresh clone prepares
    # the whole policy again on its first evaluation (1-2 ms, most of a
    # decision's cost), while set_input_json starts each evaluation afresh.
    # After a failure the working engine is replaced by a clone of the
    # pristine template, so that nothing of a failed evaluation lingers.
    engine = state["engine"]
    problem = None
    try:
        engine.set_input_json(document_json)
        return str(engine.eval_rule_as_json(DECISION_RULE))
    except Exception as exc:
        problem = _first_line(exc)
    state["engine"] = state["template"].clone()
    del engine
    raise EngineError(f"evaluation failed: {problem}")


# regorus's compiler (as pinned) ignores a function's default value: a call
# whose bodies all fail is undefined, where OPA and the interpreter give the
# default. A policy that declares one is refused, never evaluated wrongly.
_DEFAULT_FUNCTION = re.compile(r"^default\s+[\w.]+\(", re.MULTILINE)


def compile_policy(
    modules: list[tuple[str, str]], data: str, rule: str = DECISION_RULE
) -> dict[str, Any]:
    """The policy compiled to RVM bytecode for `rule`, and a virtual machine
    holding it and the data, built on this thread."""
    for name, text in modules:
        found = _DEFAULT_FUNCTION.search(text)
        if found is not None:
            line = text.count("\n", 0, found.start()) + 1
            raise EngineError(
                f"policy failed to compile: {name}:{line} declares a default function value, "
                "which the compiled engine does not apply; end the function with `else :=` instead"
            )
    try:
        program = native.Program.compile_from_modules(data, modules, [rule])
        machine = _machine(program, data)
    except Exception as exc:
        raise EngineError(f"policy failed to compile: {_first_line(exc)}") from None
    return {
        "program": program,
        "modules": modules,
        "data": data,
        "machine": machine,
        "too_big": math.inf,  # the smallest input (JSON length) that spent the budget
    }


def _machine(program: Any, data: str) -> Any:
    machine = native.Rvm()
    machine.load_program(program)
    machine.set_data_json(data)
    return machine


_BUDGET_SPENT = "maximum instruction limit"
"""regorus's virtual machine stops a run after 25,000 instructions (fixed in the
pinned wheel): a decision on a child with a couple of hundred consents and blocks
needs more."""


def _run_with(state: dict[str, Any], document_json: str) -> str:
    # One machine is reused for every decision (set_input_json starts each run
    # afresh); after a failure it is replaced by a fresh one, so that nothing of
    # a failed run lingers. A decision the machine's instruction budget cannot
    # hold is made by the interpreter, the reference the compiled program is
    # tested against (loaded on this thread the first time it is needed). A
    # run that spends the budget costs about as much as the interpreter's whole
    # decision, so an input at least as large as the smallest that spent it
    # goes to the interpreter straight away: same answer, no wasted run.
    if len(document_json) >= state["too_big"]:
        return _interpret(state, document_json)
    machine = state["machine"]
    problem = None
    try:
        machine.set_input_json(document_json)
        return str(machine.execute())
    except Exception as exc:
        problem = _first_line(exc)
    state["machine"] = _machine(state["program"], state["data"])
    del machine
    if _BUDGET_SPENT in problem:
        state["too_big"] = min(state["too_big"], len(document_json))
        return _interpret(state, document_json)
    raise EngineError(f"evaluation failed: {problem}")


def _interpret(state: dict[str, Any], document_json: str) -> str:
    INTERPRETED.inc()
    if "interpreter" not in state:
        state["interpreter"] = _load(state["modules"], state["data"])
    return _evaluate_with(state["interpreter"], document_json)


_PER_THREAD = threading.local()
"""Each thread's engines, by EmbeddedEngine. Module-level, so a thread's engines
are dropped only when that thread ends (on that thread), never by another thread
collecting an EmbeddedEngine: regorus refuses to drop an engine elsewhere."""

_keys = itertools.count()


def _engines_here() -> dict[int, dict[str, Any]]:
    engines: dict[int, dict[str, Any]] | None = getattr(_PER_THREAD, "engines", None)
    if engines is None:
        engines = _PER_THREAD.engines = {}
    return engines


def _drop_here(key: int) -> None:
    """Drop the current thread's engine of one EmbeddedEngine, if it has one."""
    _engines_here().pop(key, None)


@dataclass(frozen=True)
class _Policy:
    """One revision of the policy, as the engines of every thread load it."""

    key: int
    revision: str
    modules: list[tuple[str, str]]
    data: str
    compiled: bool

    @classmethod
    def of(cls, bundle: PolicyBundle, compiled: bool) -> _Policy:
        return cls(
            key=next(_keys),
            compiled=compiled,
            revision=bundle.revision(),
            modules=bundle.decision_sources(),
            data=orjson.dumps(bundle.data_document()).decode(),
        )


class EmbeddedEngine:
    """Evaluates inline, on the calling thread, with that thread's own engine.

    A regorus engine may only be used and dropped on the thread that made it (it
    is not Send), and evaluation holds the GIL, so a worker thread would buy no
    parallelism: it cost a thread hop and a wake-up per decision. Each thread that
    evaluates gets its own engine, built from the same policy the first time
    (about 10 ms, or 30-70 ms compiled); the service's decisions all run on its
    event loop's thread. A thread's engine is dropped when the thread ends, or on
    `aclose` (or when this object is collected) if that happens on the same thread.

    Timeouts: an inline evaluation cannot be interrupted (regorus has no
    cancellation and holds the GIL). The decision point's timeout still fails
    closed, but only once the evaluation has returned; it cannot cut a runaway
    evaluation short, and the event loop waits for it meanwhile. The policy's cost
    is bounded by its own design (bench/growth.py: linear in consents and blocks),
    not by the timeout.
    """

    def __init__(self, bundle: PolicyBundle, *, compiled: bool = True) -> None:
        self._closed = False
        self._compiled = compiled
        self._policy = _Policy.of(bundle, compiled)
        weakref.finalize(self, _drop_here, self._policy.key)
        self._here(self._policy)  # a policy that does not load fails here, at start

    @staticmethod
    def _here(policy: _Policy) -> dict[str, Any]:
        engines = _engines_here()
        state = engines.get(policy.key)
        if state is None:
            load = compile_policy if policy.compiled else _load
            state = engines[policy.key] = load(policy.modules, policy.data)
        return state

    def reload(self, bundle: PolicyBundle) -> str:
        """Load another revision of the policy and switch to it in one step: it is
        loaded (and checked) first, on this thread, and a policy that does not load
        leaves the running one in place (EngineError). An evaluation reads the
        policy once, so each decision is made, and reported, by one revision."""
        policy = _Policy.of(bundle, self._compiled)
        self._here(policy)
        weakref.finalize(self, _drop_here, policy.key)
        old, self._policy = self._policy, policy
        _drop_here(old.key)  # this thread's; other threads drop theirs when they end
        return policy.revision

    @property
    def name(self) -> str:
        return "embedded"

    @property
    def revision(self) -> str:
        return self._policy.revision

    @staticmethod
    def _parse(raw: str) -> dict[str, Any]:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise EngineError("the engine's answer is not JSON") from exc
        if not isinstance(value, dict):
            raise EngineError("the decision rule is undefined for this input")
        value.pop(NONCE_KEY, None)  # in-process, the answer cannot belong to another question
        return value

    def evaluate_sync(self, document: dict[str, Any]) -> dict[str, Any]:
        """Evaluate from synchronous code (CLI, handbook, benchmarks, tests)."""
        return self._evaluate(document, self._policy)

    def _evaluate(self, document: dict[str, Any], policy: _Policy) -> dict[str, Any]:
        if self._closed:
            raise EngineError("the engine is closed")
        try:
            encoded = orjson.dumps(document).decode()
        except TypeError as exc:
            raise EngineError(f"the input cannot be encoded: {exc}") from exc
        run = _run_with if policy.compiled else _evaluate_with
        return self._parse(run(self._here(policy), encoded))

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        policy = self._policy  # one read: the revision that answers is the one reported
        result = self._evaluate(document, policy)
        result[REVISION_KEY] = policy.revision
        return result

    async def ready(self) -> bool:
        return not self._closed

    async def aclose(self) -> None:
        self._closed = True
        _drop_here(self._policy.key)
