"""OpenTelemetry tracing: off unless the standard OTEL_* variables turn it on.

`tracing.setup` configures the SDK for one app (exporter, the FastAPI and httpx
instrumentation, and a redacting exporter so no CPR number leaves in a span);
`tracing.spans` is what the layers call to open their own spans, a no-op while
tracing is off. Imports nothing of ours.
"""
