"""Turning tracing on from the standard OTEL_* environment variables.

On when OTEL_TRACES_EXPORTER names an exporter (`otlp`, `console`) or an OTLP
endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, and by default. The
exporter reads its own OTEL_EXPORTER_OTLP_* settings (OTLP over HTTP/protobuf),
the provider OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and OTEL_TRACES_SAMPLER.

Incoming requests (FastAPI) and outgoing calls (httpx: the sources, OPA, the
message network) are traced, and the W3C `traceparent` goes along, so OPA and
the sources continue the trace when they trace too. Paths and queries carry CPR
numbers (`/v1/children/{cpr}/overview`, a source's `?patient=`): every span is
redacted before it is exported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)

from tracing.spans import use_provider

SERVICE_NAME = "hoi-policy"
_CPR = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")
REDACTED = "[cpr]"


def requested(env: Mapping[str, str] = os.environ) -> bool:
    """Do the OTEL_* variables ask for traces?"""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER")
    if exporter is not None and exporter.strip():
        return exporter.strip().lower() != "none"
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def exporter_from(env: Mapping[str, str] = os.environ) -> SpanExporter:
    """The exporter OTEL_TRACES_EXPORTER names (default otlp)."""
    name = (env.get("OTEL_TRACES_EXPORTER") or "otlp").strip().lower()
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported here (otlp, console, none)")


def redact(value: Any) -> Any:
    """`value` with every CPR-shaped number replaced (strings, and in sequences)."""
    if isinstance(value, str):
        return _CPR.sub(REDACTED, value)
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return tuple(redact(v) for v in value)
    return value


def _redacted_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: redact(v) for k, v in (attributes or {}).items()}


def redacted(span: ReadableSpan) -> ReadableSpan:
    """A copy of `span` whose name, attributes and events hold no CPR number."""
    return ReadableSpan(
        name=redact(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_redacted_attributes(span.attributes),
        events=[
            Event(redact(e.name), _redacted_attributes(e.attributes), e.timestamp)
            for e in span.events
        ],
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class Redacting(SpanExporter):
    """Exports through `inner` only redacted copies of the spans."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([redacted(s) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
"""FastAPI's own OpenTelemetry, off in every app we build: `Tracing` instruments an
app itself (one server span a request, redacted) and Prometheus counts requests,
while FastAPI's would check the global providers, reading the environment, on every
request (about 2 % of an overview's CPU under load)."""


class Tracing:
    """Tracing for one app: its provider, and the instrumentation to undo at the end."""

    def __init__(
        self,
        app: FastAPI,
        exporter: SpanExporter,
        *,
        processor: Callable[[SpanExporter], SpanProcessor] = BatchSpanProcessor,
    ) -> None:
        """`processor`: BatchSpanProcessor in service; tests export at once."""
        self.provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
        self.provider.add_span_processor(processor(Redacting(exporter)))
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, exclude_spans=["receive", "send"]
        )
        self._httpx = HTTPXClientInstrumentor()
        self._httpx.instrument(tracer_provider=self.provider)
        use_provider(self.provider)

    def shutdown(self) -> None:
        """Export what is left and stop tracing (httpx is no longer instrumented)."""
        use_provider(None)
        self._httpx.uninstrument()
        self.provider.shutdown()


def start(app: FastAPI, env: Mapping[str, str] = os.environ) -> Tracing | None:
    """Tracing for `app` when the OTEL_* variables ask for it; None otherwise."""
    if not requested(env):
        return None
    return Tracing(app, exporter_from(env))
