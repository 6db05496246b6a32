"""Spans the layers open themselves (a decision, an engine evaluation, the wait
for the audit commit). A no-op until `tracing.setup` installs a provider.

Attributes are codes and counts (engine, revision, role, purpose, outcome),
never a CPR number, a name or a person's id; the exporter redacts anything that
looks like a CPR number besides (`tracing.setup.Redacting`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span

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
