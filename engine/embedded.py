"""Embedded backend: Microsoft's regorus Rego interpreter, in-process."""

from __future__ import annotations

import itertools
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import orjson
import regorus

from engine.base import DECISION_RULE, NONCE_KEY, REVISION_KEY, EngineError
from engine.bundle import PolicyBundle


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

    @classmethod
    def of(cls, bundle: PolicyBundle) -> _Policy:
        return cls(
            key=next(_keys),
            revision=bundle.revision(),
            modules=[
                (str(p.relative_to(bundle.root)), p.read_text("utf-8"))
                for p in bundle.decision_modules()
            ],
            data=orjson.dumps(bundle.data_document()).decode(),
        )


class EmbeddedEngine:
    """Evaluates inline, on the calling thread, with that thread's own engine.

    A regorus engine may only be used and dropped on the thread that made it (it
    is not Send), and evaluation holds the GIL, so a worker thread would buy no
    parallelism: it cost a thread hop and a wake-up per decision. Each thread that
    evaluates gets its own engine, built from the same policy the first time
    (about 10 ms); the service's decisions all run on its event loop's thread.
    A thread's engine is dropped when the thread ends, or on `aclose` (or when
    this object is collected) if that happens on the same thread.

    Timeouts: an inline evaluation cannot be interrupted (regorus has no
    cancellation and holds the GIL). The decision point's timeout still fails
    closed, but only once the evaluation has returned; it cannot cut a runaway
    evaluation short, and the event loop waits for it meanwhile. The policy's cost
    is bounded by its own design (bench/growth.py: linear in consents and blocks),
    not by the timeout.
    """

    def __init__(self, bundle: PolicyBundle) -> None:
        self._closed = False
        self._policy = _Policy.of(bundle)
        weakref.finalize(self, _drop_here, self._policy.key)
        self._here(self._policy)  # a policy that does not load fails here, at start

    @staticmethod
    def _here(policy: _Policy) -> dict[str, Any]:
        engines = _engines_here()
        state = engines.get(policy.key)
        if state is None:
            state = engines[policy.key] = _load(policy.modules, policy.data)
        return state

    def reload(self, bundle: PolicyBundle) -> str:
        """Load another revision of the policy and switch to it in one step: it is
        loaded (and checked) first, on this thread, and a policy that does not load
        leaves the running one in place (EngineError). An evaluation reads the
        policy once, so each decision is made, and reported, by one revision."""
        policy = _Policy.of(bundle)
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
        return self._parse(_evaluate_with(self._here(policy), encoded))

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
