"""`hoi serve` / `hoi sandbox serve --workers N`: what the workers share is made
once, in the parent, before uvicorn starts them (uvicorn itself is replaced by a
recorder here; tests/audit/test_server_kill.py runs two real workers)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from api.settings import get_settings
from cli import serve
from cli.main import main
from db.engine import make_engine
from engine.opa import find_opa


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path) -> Iterator[None]:
    """serve() hands the workers their settings through the environment: restore it."""
    saved = dict(os.environ)
    os.environ["HOI_VAR_DIR"] = str(tmp_path / "var")
    os.environ["HOI_ENVIRONMENT"] = "test"
    get_settings.cache_clear()
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


class Recorder:
    """Stands in for uvicorn; looks at what the workers would be given."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []
        self.env: dict[str, str] = {}
        self.probe: dict[str, int] = {}

    def __call__(self, app: Any, **options: Any) -> None:
        """uvicorn.run (one worker)."""
        self._record(app, options)

    def supervise(self, factory: str, workers: int, options: dict[str, Any]) -> int:
        """cli.serve.supervise (several workers)."""
        self._record(factory, {**options, "factory": True, "workers": workers})
        return 0

    def _record(self, app: Any, options: dict[str, Any]) -> None:
        self.calls.append((app, options))
        self.env = {k: v for k, v in os.environ.items() if k.startswith("HOI_")}
        for name in ("HOI_SANDBOX_URL", "HOI_OPA_URL"):
            if name in self.env:  # the shared server answers while the workers run
                self.probe[name] = httpx.get(self.env[name], timeout=5).status_code


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    fake = Recorder()
    monkeypatch.setattr(uvicorn, "run", fake)
    monkeypatch.setattr(serve, "supervise", fake.supervise)
    return fake


def test_workers_must_be_at_least_one() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sandbox", "serve", "--workers", "0"])
    assert exit_.value.code == 2


def test_sandbox_workers_share_one_database_and_one_source_server(
    tmp_path: Path, recorder: Recorder
) -> None:
    assert main(["sandbox", "serve", "--workers", "2", "--port", "0"]) == 0
    [(app, options)] = recorder.calls
    # Each worker builds the sandbox's app from the environment.
    assert app == "sandbox.app:create_app"
    assert options["factory"] is True
    assert options["workers"] == 2
    env = recorder.env
    assert env["HOI_HANDBOOK_AT_START"] == "false"  # not built N times at start
    assert "HOI_DEMO_REFERENCE_DATE" in env  # one population for every worker
    assert recorder.probe["HOI_SANDBOX_URL"] < 500  # served by the parent
    # The database is made and seeded before any worker starts.
    db = make_engine(f"sqlite:///{tmp_path / 'var' / 'hoi.db'}")
    try:
        with db.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM consent")).scalar_one() > 0
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        db.dispose()
    # The source server stops with the service.
    with pytest.raises(httpx.HTTPError):
        httpx.get(env["HOI_SANDBOX_URL"], timeout=2)


def test_one_worker_serves_the_app_in_process(recorder: Recorder) -> None:
    assert main(["sandbox", "serve", "--port", "0"]) == 0
    [(app, options)] = recorder.calls
    assert not isinstance(app, str)
    assert "workers" not in options


@pytest.mark.skipif(find_opa() is None, reason="no opa binary")
def test_opa_workers_share_one_local_opa(recorder: Recorder) -> None:
    assert main(["sandbox", "serve", "--workers", "2", "--engine", "opa", "--port", "0"]) == 0
    env = recorder.env
    assert env["HOI_ENGINE"] == "opa"
    assert env["HOI_OPA_TOKEN"]  # every worker presents the one token OPA admits
    assert recorder.probe["HOI_OPA_URL"] < 500
    with pytest.raises(httpx.HTTPError):
        httpx.get(env["HOI_OPA_URL"], timeout=2)


def test_production_workers_find_the_schema_at_head(tmp_path: Path, recorder: Recorder) -> None:
    assert main(["serve", "--workers", "2", "--port", "0"]) == 0
    [(app, options)] = recorder.calls
    assert app == "api.app:create_app"  # production's composition in every worker
    assert options["workers"] == 2
    assert "HOI_SANDBOX_URL" not in recorder.env
    # One development token key for every worker, made before they start.
    assert (tmp_path / "var" / "dev-signing-key.jwk.json").is_file()
    db = make_engine(f"sqlite:///{tmp_path / 'var' / 'hoi.db'}")
    try:
        with db.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        db.dispose()


def test_workers_that_cannot_start_stop_the_service_with_a_failure(tmp_path: Path) -> None:
    """A start-up failure in the workers (here: no organisation register) must not
    leave a parent that exits 0, as if it had served and stopped."""
    hoi = Path(sys.executable).with_name("hoi")
    env = {
        **os.environ,
        "HOI_ORGANISATION_REGISTER": str(tmp_path / "missing.yaml"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [str(hoi), "serve", "--workers", "2", "--port", "0"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr[-2000:]
