"""The local cluster's parts that need no processes: the bundle server's caching
and atomic publishing, the balancer's health checks, the policy variant the drill
rolls out, and the drill's findings from answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cluster import haproxy
from cluster.bundles import BUNDLE_NAME, BUNDLE_PATH, policy_variant, server
from cluster.drill import kill_findings, rollout_window
from cluster.load import Answer
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from policy.paths import REGO_DIR


@pytest.fixture
def bundle_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    httpd = server(tmp_path, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", tmp_path
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_sidecar_that_holds_the_published_bundle_gets_304(
    bundle_server: tuple[str, Path],
) -> None:
    url, folder = bundle_server
    (folder / BUNDLE_NAME).write_bytes(b"first")
    first = httpx.get(url + BUNDLE_PATH)
    assert (first.status_code, first.content) == (200, b"first")
    again = httpx.get(url + BUNDLE_PATH, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    (folder / BUNDLE_NAME).write_bytes(b"second")
    changed = httpx.get(url + BUNDLE_PATH, headers={"If-None-Match": first.headers["ETag"]})
    assert (changed.status_code, changed.content) == (200, b"second")


@pytest.mark.parametrize("path", ["/bundles/../secret", "/bundles/.hoi.tar.gz.building", "/x"])
def test_the_bundle_server_serves_only_published_bundles(
    bundle_server: tuple[str, Path], path: str
) -> None:
    url, folder = bundle_server
    (folder / ".hoi.tar.gz.building").write_bytes(b"half")
    assert httpx.get(url + path).status_code == 404


def test_the_rolled_out_variant_is_another_revision_that_loads(tmp_path: Path) -> None:
    variant = PolicyBundle(policy_variant(REGO_DIR, tmp_path / "next", "test"))
    assert variant.revision() != PolicyBundle(REGO_DIR).revision()
    assert EmbeddedEngine(variant).revision == variant.revision()


def test_the_balancer_checks_readiness_and_names_the_replica(tmp_path: Path) -> None:
    text = haproxy.config(8000, [("r1", 8001), ("r2", 8002)], tmp_path / "s.sock")
    assert "option httpchk GET /readyz" in text
    assert "http-check expect status 200" in text
    assert "server r1 127.0.0.1:8001 check" in text
    assert f"http-response set-header {haproxy.REPLICA_HEADER} %s" in text
    assert "retry-on conn-failure\n" in text  # never resend what a replica took


def _answer(sent: float, replica: str, revision: str = "a", **kw: object) -> Answer:
    return Answer(sent, sent + 0.01, 200, replica, f"d-{sent}-{replica}", revision, **kw)  # type: ignore[arg-type]


def test_the_mixed_revision_window_is_the_overlap_of_old_and_new_answers() -> None:
    answers = [
        _answer(0.5, "r1", "old"),
        _answer(1.2, "r1", "new"),
        _answer(1.4, "r2", "old"),
        _answer(1.6, "r2", "new"),
        Answer(1.7, 1.8, 502, "r2"),
    ]
    found = rollout_window(answers, "old", "new", published=1.0)
    assert found["mixed_window_s"] == pytest.approx(0.2)
    assert found["per_replica"]["r2"] == {"last_old_s": 0.41, "first_new_s": 0.61}
    assert found["failed"] == 1
    assert found["by_revision"] == {"old": 2, "new": 2}


def test_a_permit_after_its_engine_was_killed_is_counted() -> None:
    answers = [
        _answer(0.5, "r2", permitted=True),
        _answer(1.5, "r2", permitted=True),
        _answer(1.6, "r2", reasons=("engine_error",)),
        _answer(2.1, "r3", permitted=True),
        _answer(2.9, "r1", permitted=True),
        Answer(3.0, 3.1, 0, ""),
    ]
    found = kill_findings(answers, "r2", 1.0, "r3", 2.0)
    assert found["engine_down_permits_after_kill"] == 1
    assert found["engine_down_failed_closed"] == 1
    assert found["no_answer"] == 1
    assert found["after_kills_replicas"] == ["r1"]  # r3's answer was in flight at its kill
