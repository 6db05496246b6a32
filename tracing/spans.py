"""Spans the layers open themselves (a decision, an engine evaluation, the wait
for the audit commit). A no-op until `tracing.setup` installs a provider.

Attributes are codes and counts (engine, revision, role, purpose, outcome),
never a CPR number, a name or a person's id; the exporter redacts anything that
looks like a CPR number besides (`tracing.setup.Redacting`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.trace import Span, SpanKind

_provider: trace.TracerProvider | None = None


def use_provider(provider: trace.TracerProvider | None) -> None:
    """The provider our spans go to (None: tracing off)."""
    global _provider
    _provider = provider


@contextmanager
def span(name: str, **attributes: str | int | bool) -> Iterator[Span]:
    """A span named `hoi.<name>` in the current trace, or nothing while tracing is off."""
    if _provider is None:
        yield trace.INVALID_SPAN
        return
    tracer = _provider.get_tracer("hoi")
    with tracer.start_as_current_span(f"hoi.{name}", attributes=attributes) as current:
        yield current


@contextmanager
def outgoing(
    method: str, host: str, path: str, headers: dict[str, str]
) -> Iterator[Callable[[int], None]]:
    """A CLIENT span around one outgoing HTTP call, with `traceparent` added to
    `headers`; yields a function that records the answer's status. The query
    (it may hold a CPR number) is never an attribute."""
    if _provider is None:
        yield _no_status
        return
    tracer = _provider.get_tracer("hoi")
    attributes = {"http.request.method": method, "server.address": host, "url.path": path}
    with tracer.start_as_current_span(
        method, kind=SpanKind.CLIENT, attributes=attributes
    ) as current:
        inject(headers)
        yield lambda status: current.set_attribute("http.response.status_code", status)


def _no_status(_: int) -> None:
    return None
