"""The Grafana dashboard asks only for metrics the service exports, by their labels."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from prometheus_client import Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

import metrics.instruments as instruments
from tests.api.test_metrics import EXAMPLE, MONITORING
from tests.conftest import AppFactory

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "hoi-policy.json"
NAME = re.compile(r"\b(hoi_[a-z_]+)")
GROUPED = re.compile(r"by \(([a-z_, ]+)\)")
SCRAPE_HEALTH = re.compile(r"^sum by \(job\) \(up\)$")
"""The one query of a series Prometheus makes itself (a target answered its scrape)."""


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
        assert names or SCRAPE_HEALTH.match(query), query
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


def test_every_dashboard_metric_is_on_metrics_after_one_decision(make_client: AppFactory) -> None:
    """What the running service answers on /metrics, not what the code declares: after
    one decision every metric a panel asks for is there (a labelled metric nothing has
    counted yet by its TYPE line), and the decision's own metrics carry the labels the
    panels group by."""
    client = make_client()
    assert client.post("/v1/decisions", json=EXAMPLE).status_code == 200
    response = client.get("/metrics", headers=MONITORING)
    assert response.status_code == 200, response.text
    names: dict[str, str] = {}
    labels: dict[str, set[str]] = {}
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    for family in text_string_to_metric_families(response.text):
        for suffix in suffixes.get(family.type, [""]):
            names[family.name + suffix] = family.type
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    asked = {name for query in queries for name in NAME.findall(query)}
    assert asked - names.keys() == set()
    decided = {
        "hoi_category_decisions_total",
        "hoi_decision_seconds_bucket",
        "hoi_engine_seconds_bucket",
        "hoi_audit_group_commit_records_sum",
        "hoi_audit_commit_seconds_bucket",
        "hoi_facts_cache_lookups_total",
    }
    assert decided <= asked
    for query in queries:
        for name in set(NAME.findall(query)) & decided:
            for grouped in GROUPED.findall(query):
                wanted = {label.strip() for label in grouped.split(",")}
                assert wanted <= labels[name], f"{wanted - labels[name]} not on {name}"


def test_the_rendering_asks_every_target_and_names_the_panels_without_data(
    tmp_path: Path,
) -> None:
    """`make dashboard` without Prometheus: every target's expression is asked with
    the variables put in, and a panel none of whose queries has data fails the run."""
    from cluster.dashboard import EmptyPanels, Series, expand, render

    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    asked: list[str] = []

    def query(expr: str) -> list[Series]:
        asked.append(expr)
        if "hoi_facts_cache" in expr or "hoi_tokens_refused" in expr:
            return [Series({"reason": "expired"}, [1.0, 3.0], [math.nan, math.nan])]
        return [Series({"outcome": "permit"}, [1.0, 3.0, 5.0], [0.5, 1.5, math.nan])]

    image = tmp_path / "dashboard.png"
    with pytest.raises(EmptyPanels) as empty:
        render(dashboard, query, image, caption=["a test"])
    assert empty.value.titles == [
        "Facts reuse (per second)",
        "Refused tokens by reason (in the last minute)",
    ]
    assert image.read_bytes().startswith(b"\x89PNG")
    assert len(asked) == sum(len(p["targets"]) for p in dashboard["panels"])
    assert not [expr for expr in asked if "$" in expr]
    with pytest.raises(ValueError, match="no value for"):
        expand("rate(hoi_tokens_refused_total[$__range])")
