"""Shared fixtures: engines, an app per test, the OPA server."""

from __future__ import annotations

import json
import logging
import logging.config
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.logs import CPR_LIKE, logging_config
from api.settings import Settings
from engine.opa import OpaServer, build_bundle, find_opa
from engine.sources import PolicySources
from policy.paths import REGO_DIR
from sandbox.population import SURNAMES, Population

IN_CI = os.environ.get("CI") == "true"
ENGINES = ["embedded", "opa"]


def require_opa() -> str:
    """The opa binary; skip without it, except in CI where it must be there."""
    opa = find_opa()
    if opa is None:
        if IN_CI:
            pytest.fail("CI=true but no opa binary: OPA tests must run in CI")
        pytest.skip("opa is not installed (CI installs it)")
    return opa


@pytest.fixture(scope="session")
def opa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpaServer]:
    opa = require_opa()
    bundle = tmp_path_factory.mktemp("opa") / "bundle.tar.gz"
    build_bundle(opa, PolicySources(REGO_DIR), bundle)
    server = OpaServer(opa, bundle).start()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def application_logs_leak_nothing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every application log record of the whole run goes, as in production,
    through the JSON formatter into one file; at the end the file must hold
    only JSON lines, no CPR number and no person's name from the synthetic
    population (source data)."""
    path = tmp_path_factory.mktemp("logs") / "application.log"
    logging.config.dictConfig(logging_config("INFO", filename=str(path)))
    yield
    logging.shutdown()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for number, line in enumerate(text.splitlines(), start=1):
        json.loads(line)  # each line is one JSON object
        assert not CPR_LIKE.search(line), f"a CPR-shaped number in log line {number}: {line}"
        assert not any(name in line for name in SURNAMES), f"a person's name in log line {number}"


def fixed_clock(day: date, at: time = time(10, 0)) -> Callable[[], datetime]:
    moment = datetime.combine(day, at, tzinfo=UTC)
    return lambda: moment


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[AppFactory]:
    """Start the app on an engine, with its own SQLite file and optional population."""
    clients: list[TestClient] = []

    def factory(
        engine: str = "embedded",
        *,
        population: Population | None = None,
        day: date | None = None,
        **overrides: object,
    ) -> TestClient:
        settings: dict[str, object] = {
            "environment": "test",
            "engine": engine,
            "var_dir": tmp_path / f"var-{len(clients)}",
            "seed_demo_data": population is None,
            **overrides,
        }
        if engine == "opa":
            server: OpaServer = request.getfixturevalue("opa_server")
            settings["opa_url"] = server.url
        if day is not None:
            settings["demo_reference_date"] = day
        app = create_app(
            Settings(**settings),  # type: ignore[arg-type]
            population=population,
            clock=fixed_clock(day) if day else None,
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)
