"""What every sandbox source shares: call counters and failure knobs
(`SourceControl`), the app a source is served as, the identifier systems."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request

from policy.cpr import IDENTIFIER_SYSTEM as CPR_SYSTEM
from sandbox.population import Child, Population
from tracing.setup import FASTAPI_TELEMETRY

__all__ = ["CPR_SYSTEM", "SOR_SYSTEM", "SandboxSource", "SourceControl"]

SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
"""The identifier system for SOR codes."""


@dataclass(eq=False)
class SourceControl:
    """Call counters and failure knobs for one sandbox source."""

    delay_s: float = 0.0
    fail_status: int | None = None
    """Answer every call with this HTTP status (for example 503: the source is down)."""
    fail_next: int = 0
    """Answer the next N calls with 503, then recover."""
    required_bearer: str | None = None
    """When set, calls without `Authorization: Bearer <this>` get 401."""
    calls: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def count(self, endpoint: str) -> int:
        with self._lock:
            return self.calls[endpoint]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
        self.delay_s, self.fail_status, self.fail_next = 0.0, None, 0

    async def __call__(self, request: Request) -> None:
        route = request.scope.get("route")
        endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
        with self._lock:
            self.calls[endpoint] += 1
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        expected = f"Bearer {self.required_bearer}"
        if self.required_bearer is not None and request.headers.get("authorization") != expected:
            raise HTTPException(401, "missing or wrong bearer token")
        if self.fail_status is not None:
            raise HTTPException(self.fail_status, "the source is failing on purpose")
        if failing:
            raise HTTPException(503, "the source is failing on purpose (once)")


@dataclass
class SandboxSource:
    name: str
    app: FastAPI
    control: SourceControl


def make_app(name: str, title: str, control: SourceControl, router: APIRouter) -> SandboxSource:
    app = FastAPI(
        title=f"Sandbox: {title}",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=FASTAPI_TELEMETRY,
    )

    async def root() -> dict[str, str]:
        """The source's base URL answers (readiness probes); failure knobs apply."""
        return {"source": name}

    router.add_api_route("/", root, methods=["GET"], include_in_schema=False)
    app.include_router(router, dependencies=[Depends(control)])
    return SandboxSource(name, app, control)


def by_cpr(population: Population) -> Callable[[str], Child | None]:
    return population.children.get
