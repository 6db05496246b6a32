"""The service runs the relay when a message network is configured, and the
development service (`hoi sandbox serve`) delivers to its own sandbox network."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.services import Services, make_relay
from api.settings import Settings
from correspondence.outbox import message_status
from tests.conftest import AppFactory
from tests.correspondence.outbox_world import outbox_db, party, queue


def test_the_development_service_delivers_to_its_sandbox_network(
    make_client: AppFactory,
) -> None:
    client = make_client(message_relay_poll_s=30)  # only notify() can make it leave in time
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    assert services.relay is not None
    sandbox = services.sandbox  # type: ignore[attr-defined]
    assert services.relay.config.network_url == f"{sandbox.url}/network"
    message_id = queue(services.db)
    services.relay.notify()
    deadline = time.monotonic() + 10
    while (status := message_status(services.db, message_id)) is None or (
        status.status != "delivered"
    ):
        assert time.monotonic() < deadline, "the message did not leave"
        time.sleep(0.02)
    assert [m["id"] for m in sandbox.network.messages(party("851-family").gln)] == [message_id]


def test_without_a_message_network_no_relay_runs(tmp_path: Path) -> None:
    db = outbox_db(tmp_path)
    assert make_relay(Settings(environment="test"), db, None) is None
    relay = make_relay(Settings(environment="test"), db, "http://127.0.0.1:1/network")
    assert relay is not None and relay.config.max_attempts == 8
    db.dispose()


def test_a_lease_shorter_than_a_post_is_refused() -> None:
    with pytest.raises(ValidationError, match="LEASE"):
        Settings(message_relay_lease_s=5, message_relay_timeout_s=10)
