"""The sandbox message network: MedCom inboxes that check the address, deliver a
message once whatever the retries, file it on the child's open municipal case, and
answer with a MedCom Acknowledgement."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from correspondence.acknowledgement import (
    ACK_HEADER_PROFILE,
    ACK_MESSAGE_PROFILE,
    Acknowledgement,
    parse_acknowledgement,
)
from sandbox.network import MessageNetwork
from sandbox.pilot import organisations
from tests.correspondence.outbox_world import (
    MUNICIPAL_ID,
    NOW,
    SENDER_ID,
    child_with_open_case,
    message,
    party,
    world,
)

FAMILY = party(MUNICIPAL_ID).gln
INBOX = f"/inboxes/{FAMILY}/messages"


@pytest.fixture
def network(tmp_path: Path) -> MessageNetwork:
    return MessageNetwork(world(), organisations(), tmp_path / "network.db", clock=lambda: NOW)


@pytest.fixture
def client(network: MessageNetwork) -> Iterator[TestClient]:
    with TestClient(network.source.app) as test_client:
        yield test_client


def post(client: TestClient, body: str, key: str | None, inbox: str = INBOX) -> Any:
    headers = {"content-type": "application/fhir+json"}
    if key is not None:
        headers["idempotency-key"] = key
    return client.post(inbox, content=body.encode(), headers=headers)


def ack_of(response: Any) -> Acknowledgement:
    return parse_acknowledgement(response.json())


def test_a_message_is_delivered_filed_and_acknowledged_in_medcoms_shape(
    client: TestClient,
) -> None:
    child, case_id = child_with_open_case()
    header_id, body = message(child=child)
    response = post(client, body, header_id)
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["type"] == "message"
    assert bundle["meta"]["profile"] == [ACK_MESSAGE_PROFILE]
    header = bundle["entry"][0]["resource"]
    assert header["meta"]["profile"] == [ACK_HEADER_PROFILE]
    assert header["eventCoding"]["code"] == "acknowledgement-message"
    assert header["response"]["identifier"] == header_id
    assert header["response"]["code"] == "ok"
    # Addressed back to the sender, from the receiver.
    sender = party(SENDER_ID)
    assert header["destination"][0]["endpoint"].endswith(f"#id={sender.sor_id}")
    assert header["source"]["endpoint"].endswith(f"#id={party(MUNICIPAL_ID).sor_id}")
    ack = ack_of(response)
    assert (ack.code, ack.filing, ack.filed_on_case) == ("ok", "filed-on-case", case_id)

    listed = client.get(INBOX).json()["messages"]
    assert listed == [
        {
            "id": header_id,
            "inbox": FAMILY,
            "received_at": NOW.isoformat(),
            "sender": {"name": sender.name, "gln": sender.gln},
            "topic": "psychiatry-social-disability",
            "filed_on_case": case_id,
            "attachments": 0,
            "deliveries": 1,
        }
    ]
    assert json.loads(client.get(f"{INBOX}/{header_id}").text) == json.loads(body)
    assert client.get(f"{INBOX}/unknown").status_code == 404


def test_a_second_post_of_the_same_message_is_the_same_delivery(
    client: TestClient, network: MessageNetwork
) -> None:
    header_id, body = message()
    first = post(client, body, header_id)
    again = post(client, body, header_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content  # the very same acknowledgement
    assert [m["deliveries"] for m in network.messages()] == [2]
    assert network.duplicates() == 1


def test_the_same_id_with_other_content_is_refused(client: TestClient) -> None:
    header_id, body = message()
    post(client, body, header_id)
    changed = body.replace("Vi har afsluttet udredningen.", "Noget andet.")
    response = post(client, changed, header_id)
    assert response.status_code == 422
    assert ack_of(response).issues == ("MSG_DUPLICATE_ID",)


def test_a_message_addressed_to_another_organisation_is_refused_with_a_fatal_ack(
    client: TestClient, network: MessageNetwork
) -> None:
    header_id, body = message()
    other = f"/inboxes/{party('810-family').gln}/messages"
    response = post(client, body, header_id, inbox=other)
    assert response.status_code == 422
    ack = ack_of(response)
    assert (ack.acknowledges, ack.code, ack.issues) == (
        header_id,
        "fatal-error",
        ("MSG_Receiver_Identifier_UNKNOWN",),
    )
    assert network.messages() == []


def test_an_unknown_inbox_is_a_fatal_404(client: TestClient) -> None:
    header_id, body = message()
    response = post(client, body, header_id, inbox="/inboxes/0200000000008/messages")
    assert response.status_code == 404
    assert ack_of(response).code == "fatal-error"


def test_the_idempotency_key_must_be_the_message_header_id(client: TestClient) -> None:
    _, body = message()
    response = post(client, body, "another-key")
    assert response.status_code == 422
    assert ack_of(response).issues == ("MSG_INVALID_ID",)
    assert post(client, body, None).status_code == 201  # without a key: the header id


def test_what_is_not_a_carecommunication_is_refused(client: TestClient) -> None:
    header_id, body = message()
    other_event = body.replace('"care-communication-message"', '"empty-message"')
    response = post(client, other_event, header_id)
    assert response.status_code == 422
    assert ack_of(response).issues == ("MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE",)
    assert post(client, "not json", None).status_code == 400
    not_a_message = '{"resourceType": "Bundle", "type": "collection", "entry": []}'
    assert post(client, not_a_message, header_id).status_code == 400


def test_the_inboxes_outlive_the_network_process(tmp_path: Path, client: TestClient) -> None:
    header_id, body = message()
    post(client, body, header_id)
    reopened = MessageNetwork(world(), organisations(), tmp_path / "network.db")
    assert [m["id"] for m in reopened.messages(FAMILY)] == [header_id]
