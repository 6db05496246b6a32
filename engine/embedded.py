"""Embedded backend: Microsoft's regorus Rego interpreter, in-process."""

from __future__ import annotations

import asyncio
import json
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import regorus

from engine.base import DECISION_RULE, NONCE_KEY, EngineError
from engine.bundle import PolicyBundle


def _first_line(exc: BaseException) -> str:
    """regorus errors carry a Rust backtrace; keep the message."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    message = next((line for line in lines if line.startswith("error:")), lines[0] if lines else "")
    return message.removeprefix("error:").strip() or type(exc).__name__


def _shutdown(executor: ThreadPoolExecutor, state: dict[str, Any]) -> None:
    try:
        executor.submit(state.clear).result()
    except RuntimeError:  # interpreter exit: the worker thread is already gone
        return
    executor.shutdown(wait=True)


class EmbeddedEngine:
    """Evaluates on one worker thread that owns the regorus engine.

    A regorus engine may only be used and dropped on the thread that made it
    (it is not Send), so one dedicated thread builds it, evaluates every
    decision on one working copy of it, and drops it on close. Evaluation holds
    the GIL, so a single thread loses no parallelism; the thread is kept so that
    the service's timeout can give up on an evaluation (fail closed) without
    waiting for it.
    """

    def __init__(self, bundle: PolicyBundle) -> None:
        self._revision = bundle.revision()
        modules = [
            (str(p.relative_to(bundle.root)), p.read_text("utf-8"))
            for p in bundle.decision_modules()
        ]
        data = json.dumps(bundle.data_document())
        self._state: dict[str, Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regorus")
        self._close = weakref.finalize(self, _shutdown, self._executor, self._state)
        try:
            self._executor.submit(self._load, modules, data).result()
        except EngineError:
            self._close()
            raise

    def _load(self, modules: list[tuple[str, str]], data: str) -> None:
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
        self._state["template"] = engine
        self._state["engine"] = self._state["template"].clone()

    def _evaluate_here(self, document_json: str) -> str:
        # One working engine is reused for every decision: a fresh clone prepares
        # the whole policy again on its first evaluation (1-2 ms, most of a
        # decision's cost), while set_input_json starts each evaluation afresh.
        # After a failure the working engine is replaced by a clone of the
        # pristine template, so that nothing of a failed evaluation lingers.
        engine = self._state["engine"]
        problem = None
        try:
            engine.set_input_json(document_json)
            return str(engine.eval_rule_as_json(DECISION_RULE))
        except Exception as exc:
            problem = _first_line(exc)
        self._state["engine"] = self._state["template"].clone()
        del engine
        raise EngineError(f"evaluation failed: {problem}")

    @property
    def name(self) -> str:
        return "embedded"

    @property
    def revision(self) -> str:
        return self._revision

    @staticmethod
    def _parse(raw: str) -> dict[str, Any]:
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise EngineError("the decision rule is undefined for this input")
        value.pop(NONCE_KEY, None)  # in-process, the answer cannot belong to another question
        return value

    def evaluate_sync(self, document: dict[str, Any]) -> dict[str, Any]:
        """Evaluate from synchronous code (CLI, handbook, benchmarks, tests)."""
        if not self._close.alive:
            raise EngineError("the engine is closed")
        raw = self._executor.submit(self._evaluate_here, json.dumps(document)).result()
        return self._parse(raw)

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        if not self._close.alive:
            raise EngineError("the engine is closed")
        future = self._executor.submit(self._evaluate_here, json.dumps(document))
        return self._parse(await asyncio.wrap_future(future))

    async def ready(self) -> bool:
        return self._close.alive

    async def aclose(self) -> None:
        self._close()
