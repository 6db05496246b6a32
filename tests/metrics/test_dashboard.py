"""The Grafana dashboard asks only for metrics the service exports, by their labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import Metric
from prometheus_client.metrics import MetricWrapperBase

import metrics.instruments as instruments

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "hoi-policy.json"
NAME = re.compile(r"\b(hoi_[a-z_]+)")
GROUPED = re.compile(r"by \(([a-z_, ]+)\)")


def exported() -> dict[str, set[str]]:
    """Every sample name the service can export, with its label names."""
    found: dict[str, set[str]] = {}
    for value in vars(instruments).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        for family in value.describe():
            assert isinstance(family, Metric)
            labels = set(getattr(value, "_labelnames", ()))
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
            for suffix in suffixes.get(family.type, [""]):
                found[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return found


def test_every_query_names_an_exported_metric_and_its_labels() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    known = exported()
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(queries) >= 10
    for query in queries:
        names = NAME.findall(query)
        assert names, query
        for name in names:
            assert name in known, f"{name} in {query!r}"
            for grouped in GROUPED.findall(query):
                labels = {label.strip() for label in grouped.split(",")}
                assert labels <= known[name], f"{labels - known[name]} not labels of {name}"
    shown = {n for q in queries for n in NAME.findall(q)}
    families = {
        n.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count") for n in shown
    }
    assert {"hoi_category_decisions_total", "hoi_audit_queue_depth"} <= families
