"""Tracing is off by default, on by the standard OTEL_* variables, and redacts CPR numbers."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tracing.setup import REDACTED, Redacting, redact, requested


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_on_only_when_the_otel_variables_ask(env: dict[str, str], on: bool) -> None:
    assert requested(env) is on


def test_cpr_numbers_are_redacted_wherever_they_are() -> None:
    assert redact("/v1/children/6809144615/overview") == f"/v1/children/{REDACTED}/overview"
    assert redact("patient=680914-4615&x=1") == f"patient={REDACTED}&x=1"
    assert redact(("a 6809144615", 12)) == (f"a {REDACTED}", 12)
    # Over-redaction is the safe side: ten digits inside a hex id go too.
    assert redact("id 0123456789ab") == f"id {REDACTED}ab"
    assert redact(6809144615) == 6809144615  # numbers are not strings we write


def test_the_exporter_sees_only_redacted_spans() -> None:
    inner = InMemorySpanExporter()
    span = ReadableSpan(
        name="GET /v1/children/6809144615/overview",
        attributes={"url.path": "/v1/children/6809144615/overview", "http.status_code": 200},
    )
    assert Redacting(inner).export([span]) is SpanExportResult.SUCCESS
    (exported,) = inner.get_finished_spans()
    assert "6809144615" not in exported.name
    assert exported.attributes == {
        "url.path": f"/v1/children/{REDACTED}/overview",
        "http.status_code": 200,
    }
