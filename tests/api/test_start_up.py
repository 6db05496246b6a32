"""Start-up and the handbook stay off the event loop; the catalogue is parsed once.

Ordering, not timing: a handbook build that blocks its thread (as its seconds of
CPU do) must not hold back /healthz or a decision. Were the build on the event
loop, those requests would wait for it and the recorded order would differ."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import threading
from pathlib import Path
from typing import Any

import pytest

import api.routes.policy
import api.services
import handbook.cache
import policy.rules
from api.services import Services
from engine.base import PolicyEngine
from handbook.build import Handbook
from tests.conftest import AppFactory

EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "caseworker-psychiatry.json").read_text()
)
WAIT_S = 60.0
"""Only a safety net so a regression fails instead of hanging."""


class GatedBuild:
    """Stands in for `build_handbook`: blocks its thread until released."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.builds = 0
        self.order: list[str] = []
        self.lock = threading.Lock()

    def note(self, what: str) -> None:
        with self.lock:
            self.order.append(what)

    async def __call__(
        self, engine: PolicyEngine, legal: object, *, day: dt.date, base_href: str
    ) -> Handbook:
        with self.lock:
            self.builds += 1
        self.started.set()
        self.release.wait(WAIT_S)  # blocking, like the real build's CPU work
        self.note("built")
        return Handbook(revision=engine.revision, day=day, files={"index.html": "<p>handbook</p>"})


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> GatedBuild:
    build = GatedBuild()
    monkeypatch.setattr(handbook.cache, "build_handbook", build)
    return build


def test_healthz_and_decisions_answer_while_the_handbook_builds(
    make_client: AppFactory, gated: GatedBuild
) -> None:
    client = make_client(handbook_at_start=True)
    assert gated.started.wait(WAIT_S), "the handbook build did not start at start-up"
    try:
        assert client.get("/healthz").status_code == 200
        gated.note("healthz")
        decision = client.post("/v1/decisions", json=EXAMPLE)
        assert decision.status_code == 200, decision.text
        gated.note("decision")
        pages: list[int] = []
        waiting = threading.Thread(target=lambda: pages.append(client.get("/policy").status_code))
        waiting.start()
        # While a page request waits for the build, the service still answers.
        assert client.get("/healthz").status_code == 200
        gated.note("healthz again")
    finally:
        gated.release.set()
    waiting.join(WAIT_S)
    assert pages == [200]
    assert gated.order == ["healthz", "decision", "healthz again", "built"]
    assert gated.builds == 1, "the page request joined the build started at start-up"


def test_many_page_requests_before_the_handbook_is_ready_start_one_build(
    make_client: AppFactory, gated: GatedBuild
) -> None:
    """Abuse: a burst of handbook requests must not start a build each."""
    client = make_client()
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(client.get("/policy").status_code))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    assert gated.started.wait(WAIT_S)
    gated.release.set()
    for thread in threads:
        thread.join(WAIT_S)
    assert answers == [200] * 6
    assert gated.builds == 1
    # Built once: later requests are served from it.
    assert client.get("/policy").status_code == 200
    assert gated.builds == 1


def test_a_failed_build_is_refused_and_the_next_request_tries_again(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[int] = []

    async def flaky(
        engine: PolicyEngine, legal: object, *, day: dt.date, base_href: str
    ) -> Handbook:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("scenario file unreadable")
        return Handbook(revision=engine.revision, day=day, files={"index.html": "<p>ok</p>"})

    monkeypatch.setattr(handbook.cache, "build_handbook", flaky)
    client = make_client()
    failed = client.get("/policy")
    assert failed.status_code == 500
    assert "scenario file unreadable" not in failed.text
    assert client.get("/policy").status_code == 200
    assert len(attempts) == 2


def test_the_service_is_built_off_the_event_loop(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migrations, seeding, `opa build` and OPA's start block; they run in a worker
    thread, where there is no running event loop."""
    seen: list[bool] = []
    real = api.services.build_services

    def watched(*args: Any, **kwargs: Any) -> Services:
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:
            seen.append(False)
        return real(*args, **kwargs)

    # The tests' apps are composed by the sandbox, which builds production's
    # services through this name.
    monkeypatch.setattr("sandbox.app.build_services", watched)
    make_client()
    assert seen == [False]


def test_the_catalogue_parses_the_policy_once_per_revision(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[Path] = []
    real = policy.rules.annotations_from_source

    def counted(root: Path) -> Any:
        parses.append(root)
        return real(root)

    monkeypatch.setattr("api.routes.policy.annotations_from_source", counted)
    api.routes.policy.rules_by_provision.cache_clear()
    client = make_client()
    first = client.get("/v1/policy/catalogue")
    second = client.get("/v1/policy/catalogue")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(parses) == 1
    assert any(p["rules"] for p in first.json()["provisions"])


def test_what_start_up_built_is_out_of_the_collectors_way(make_client: AppFactory) -> None:
    """The composed service is frozen out of the garbage collector's generations, so a
    full collection during a request does not walk it (bench.audit_scale saw the
    p99 stall this caused)."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        make_client()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
