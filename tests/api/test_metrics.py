"""`GET /metrics`: Prometheus' format, for the monitoring system only, no person in it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AppFactory, auditor_headers, auth_headers, citizen_headers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "caseworker-psychiatry.json").read_text())
MONITORING = auth_headers({"id": "prometheus", "role": "system"})
CPR = re.compile(r"(?<!\d)\d{10}(?!\d)")


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def samples(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=MONITORING)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_only_the_monitoring_system_reads_the_metrics(make_client: AppFactory) -> None:
    """The abuse test: a professional, a citizen, an auditor or nobody at all."""
    client = make_client()
    assert client.get("/metrics").status_code == 403  # the client's professional token
    for headers in (citizen_headers("6809144615"), auditor_headers()):
        assert client.get("/metrics", headers=headers).status_code == 403
    anonymous = make_client(anonymous=True)
    assert anonymous.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=MONITORING).status_code == 200


def test_a_decision_is_counted_by_category_outcome_rule_and_reason(
    make_client: AppFactory,
) -> None:
    client = make_client()
    before = samples(client)
    response = client.post("/v1/decisions", json=EXAMPLE)
    assert response.status_code == 200
    decision = response.json()
    after = samples(client)

    for category, answer in decision["categories"].items():
        first = answer["reasons"][0]["rule_id"] if answer["reasons"] else "none"
        rule = (answer["rule_id"] or first) if answer["decision"] == "permit" else first
        labels = {
            "kind": "lookup",
            "category": category,
            "outcome": answer["decision"],
            "rule": rule,
        }
        name = "hoi_category_decisions_total"
        assert value(after, name, **labels) - value(before, name, **labels) == 1, category
        for reason in answer["reasons"] if answer["decision"] == "deny" else []:
            labels = {
                "kind": "lookup",
                "category": category,
                "reason": reason["code"],
                "rule": reason["rule_id"],
            }
            name = "hoi_deny_reasons_total"
            assert value(after, name, **labels) - value(before, name, **labels) >= 1
    assert decision["categories"]["school_daycare"]["decision"] == "deny"

    for name, labels in (
        ("hoi_decision_seconds_count", {"kind": "lookup"}),
        ("hoi_engine_seconds_count", {"engine": "embedded"}),
        ("hoi_audit_commit_seconds_count", {}),
        ("hoi_audit_group_commit_records_count", {}),
        ("hoi_source_calls_total", {"source": "cpr", "status": "ok"}),
    ):
        assert value(after, name, **labels) > value(before, name, **labels), name
    assert value(after, "hoi_audit_queue_depth") == 0


def test_refused_tokens_are_counted_by_reason(make_client: AppFactory) -> None:
    client = make_client()
    before = samples(client)
    forged = auth_headers()["Authorization"][:-4] + "AAAA"
    assert client.get("/metrics", headers={"Authorization": forged}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic x"}).status_code == 401
    after = samples(client)
    name = "hoi_tokens_refused_total"
    assert value(after, name, reason="signature") - value(before, name, reason="signature") == 1
    assert value(after, name, reason="malformed") - value(before, name, reason="malformed") == 1


def test_no_person_identifier_in_any_label(make_client: AppFactory) -> None:
    client = make_client()
    for _ in range(2):
        assert client.post("/v1/decisions", json=EXAMPLE).status_code == 200
    text = client.get("/metrics", headers=MONITORING).text
    families = list(text_string_to_metric_families(text))
    # Every label value of every metric (a sample's value may be a timestamp whose
    # digits look like a CPR number: 1.7962869864e+09 is not a label).
    assert not [v for f in families for s in f.samples for v in s.labels.values() if CPR.search(v)]
    ours = [f for f in families if f.name.startswith("hoi_")]
    assert len(ours) >= 10
    for family in ours:
        for sample in family.samples:
            assert set(sample.labels) <= {
                "kind",
                "category",
                "outcome",
                "rule",
                "reason",
                "engine",
                "source",
                "status",
                "fact",
                "result",
                "le",
            }, sample
