"""A relay killed with SIGKILL in the middle of its work loses no message and
delivers none twice: the next relay takes over the rows whose lease ran out, and the
network's idempotency answers a repeated post with the first acknowledgement.

The network is the real sandbox server on loopback; the relay is a separate process
(`python -m correspondence.relay`) on a SQLite outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from correspondence.outbox import OUTBOX
from sandbox.server import SandboxServer
from tests.correspondence.outbox_world import outbox_db, party, queue, world

MESSAGES = 40
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(world(), network_db=tmp_path / "network.db") as server:
        yield server


def start_relay(database_url: str, network_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "correspondence.relay",
            "--database-url",
            database_url,
            "--network-url",
            network_url,
            "--lease-s",
            "1.5",
            "--timeout-s",
            "1",
            "--poll-interval-s",
            "0.1",
            "--backoff-base-s",
            "0.1",
            "--concurrency",
            "2",
            "--max-attempts",
            "50",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_killed_relay_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = outbox_db(tmp_path)
    ids = [queue(db, n) for n in range(1, MESSAGES + 1)]
    url = db.url.render_as_string(hide_password=False)
    network = sandbox.network
    network.control.delay_s = 0.03  # each delivery takes a moment: the kill lands mid-way
    inbox = party("851-family").gln

    def delivered() -> int:
        with db.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(OUTBOX.c.status == "delivered")
                ).scalar_one()
            )

    # The worst moment: the network has stored the 10th message and the relay dies
    # before the acknowledgement reaches it (another post may be in flight too).
    victim = start_relay(url, sandbox.base_url("network"))
    receive = network.receive

    def receive_then_kill(gln: str, body: bytes, key: str | None) -> tuple[int, str]:
        answer = receive(gln, body, key)
        if len(network.messages(inbox)) == 10 and victim.returncode is None:
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(5)
        return answer

    monkeypatch.setattr(network, "receive", receive_then_kill)
    try:
        wait_for(lambda: victim.poll() is not None, 30, "the relay to be killed")
    finally:
        if victim.poll() is None:
            victim.kill()
    assert victim.returncode == -signal.SIGKILL
    assert delivered() < MESSAGES  # it died with work left
    monkeypatch.undo()

    successor = start_relay(url, sandbox.base_url("network"))
    try:
        wait_for(lambda: delivered() == MESSAGES, 60, "every message delivered")
    finally:
        successor.send_signal(signal.SIGTERM)
        _, errors = successor.communicate(timeout=10)
    assert successor.returncode == 0, errors.decode(errors="replace")[-2000:]

    received = [m["id"] for m in network.messages(inbox)]
    assert sorted(received) == sorted(ids)  # every message, each once in the inbox
    assert network.duplicates() >= 1  # the 10th was posted again and not delivered again
    with db.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.status, OUTBOX.c.bundle)).all()
    assert {(status, bundle) for status, bundle in rows} == {("delivered", None)}
    db.dispose()
