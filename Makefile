# The two commands of the README: `make run` and `make test`. Both create the
# virtual environment and install the project on first use, and are idempotent.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
GOBIN := $(shell go env GOPATH 2>/dev/null)/bin
export PATH := $(CURDIR)/$(BIN):$(GOBIN):$(PATH)

.PHONY: install run test lint typecheck rego pytest bench bench-overview cluster cluster-test dashboard clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## The service on http://127.0.0.1:8000: embedded engine, SQLite under var/, synthetic pilot data.
run: install
	$(BIN)/hoi sandbox serve

## Every check and test. Without opa/regal on this machine the Rego checks are
## skipped with a notice, except when CI=true, where they are required.
test: install lint typecheck rego pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

rego: install
	@if command -v opa >/dev/null; then \
	  set -e; \
	  echo "opa fmt (check)"; test -z "$$(opa fmt -l rego/)" || { opa fmt -d rego/; exit 1; }; \
	  echo "opa check --strict"; opa check --strict rego/; \
	  echo "opa test (on the bundle tree: rego/ and the rules document its METADATA makes)"; \
	  $(BIN)/python -m engine.bundle var/bundle-tree >/dev/null; opa test var/bundle-tree; \
	elif [ "$${CI:-}" = "true" ]; then echo "CI=true but opa is missing" >&2; exit 1; \
	else echo "NOTICE: opa not found; Rego checks skipped (CI runs them)"; fi
	@if command -v regal >/dev/null; then echo "regal lint"; regal lint rego/; \
	elif [ "$${CI:-}" = "true" ]; then echo "CI=true but regal is missing" >&2; exit 1; \
	else echo "NOTICE: regal not found; Rego lint skipped (CI runs it)"; fi

pytest: install
	$(BIN)/pytest

## Every target of issue 12 beside today's measurement (needs wrk, opa; py-spy is in
## the dev extra). BENCH_LABEL names the outputs: bench/results/$(BENCH_LABEL).json,
## bench/results/cost-growth-$(BENCH_LABEL).svg, bench/profiles/decisions-$(BENCH_LABEL).svg.
BENCH_LABEL ?= latest
bench: install
	$(BIN)/python -m bench.targets --label $(BENCH_LABEL)

## The data broker's overview latency and overhead (results in BENCHMARKS.md).
bench-overview: install
	$(BIN)/python -m bench.overview

## The local cluster on loopback (README, "Operating it"): a PostgreSQL database,
## the sandbox sources, a bundle server, three OPA sidecars, three replicas and
## HAProxy in front; runs until Ctrl-C. Needs opa, haproxy and PostgreSQL
## (HOI_CLUSTER_POSTGRES_URL, else HOI_TEST_POSTGRES_URL, else the local hoi_test role).
cluster: install
	$(BIN)/python -m cluster up

## The cluster under load: 1/2/3 replicas, a policy rollout, an OPA sidecar and a
## replica SIGKILLed, the audit trail checked and restored from a pg_dump
## (about a minute; the report in var/cluster-report.json).
cluster-test: install
	$(BIN)/python -m cluster test

## The Grafana dashboard (docs/grafana/*.json) drawn from a real run of the cluster,
## from its own queries against Prometheus, into docs/grafana/dashboard.png (a few
## minutes; what ran in var/dashboard/dashboard-run.json). Grafana is not used (AGPL);
## Prometheus is built from the Go module proxy on first use.
PROMETHEUS_MODULE := github.com/prometheus/prometheus/cmd/prometheus@v0.316.0
dashboard: install
	@command -v prometheus >/dev/null || { echo "go install $(PROMETHEUS_MODULE)"; \
	  GOFLAGS=-mod=mod go install $(PROMETHEUS_MODULE); }
	$(BIN)/python -m cluster.dashboard

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
