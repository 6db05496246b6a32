"""An overview traced across the service and the sources (OTEL_* on), with no CPR
number in any exported span."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import tracing.setup
from tests.broker.conftest import ALMA, CASEWORKER, OverviewApp, overview


def test_an_overview_is_one_trace_through_decision_engine_audit_and_sources(
    service: OverviewApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = InMemorySpanExporter()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setattr(tracing.setup, "exporter_from", lambda env: exporter)
    client = service()
    body = overview(client, ALMA, CASEWORKER)
    assert body["decision_id"]
    client.app.state.tracing.provider.force_flush()  # type: ignore[attr-defined]
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]

    server = next(s for s in spans if s.name.startswith("GET /v1/children/"))
    assert server.name == "GET /v1/children/{cpr}/overview"
    trace_id = server.context.trace_id
    ours = {s.name: s for s in spans if s.context.trace_id == trace_id}
    for name in ("hoi.decide", "hoi.engine.evaluate", "hoi.audit.commit"):
        assert name in ours, names
    assert dict(ours["hoi.engine.evaluate"].attributes or {})["engine"] == "embedded"
    outgoing = [s for s in ours.values() if s.kind.name == "CLIENT"]
    assert outgoing, "the source calls are traced (httpx)"

    exported = json.dumps([json.loads(s.to_json()) for s in spans])
    assert ALMA not in exported
    assert ALMA[:6] + "-" + ALMA[6:] not in exported


def test_off_by_default(service: OverviewApp) -> None:
    client = service()
    assert client.app.state.tracing is None  # type: ignore[attr-defined]
